"""
C{python -m boredbot.provision}: the C{boredbot-provision} command.
"""

from . import main

main()
