"""
Audit a built image for known vulnerabilities: its Debian packages against
its release's security and updates suites, its Python distributions against
an advisory database in the OSV format, with a reviewed file of exceptions.

C{python -m luggage_tools.audit IMAGE|RELEASE} prints one line per finding and
exits 1 on any, 2 when it could not check (see L{luggage_tools.audit.__main__}).
"""
