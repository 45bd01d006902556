"""
urllib, for whoever sends what must go nowhere else: L{NoRedirects}
answers a redirect as it came (an C{HTTPError} with its 3xx code), where
urllib would follow it, and send the request's keys wherever it points.
"""

from __future__ import annotations

import urllib.request
from typing import Any


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """
    A handler that follows no redirect: give it to
    C{urllib.request.build_opener}.
    """

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
