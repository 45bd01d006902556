"""
Generic infrastructure for deploying Twisted services.

Nothing here knows which service it deploys: secrets that print as redacted,
an embedded Parse-compatible server for development, and twistd helpers.
"""
