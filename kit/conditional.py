"""ETags for pages and documents rendered per data version (conditional GET, 304)."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest
from django.utils.cache import get_conditional_response


def make_etag(*parts: object) -> str:
    """Return a weak ETag naming `parts` (e.g. audience and data version)."""
    return 'W/"' + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24] + '"'


def is_fresh(request: HttpRequest, etag: str) -> bool:
    """Return whether the client's copy (If-None-Match) is still current: answer it 304.

    Django's own precondition logic, as the timeline poll uses (weak comparison for GET).
    """
    return get_conditional_response(request, etag=etag) is not None
