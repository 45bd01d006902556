"""
C{python -m luggage.secrets}: see L{luggage.secrets.cli}.
"""

import sys

from .cli import main

sys.exit(main())
