"""Statuspage v2-compatible public API: read-only, no login, CORS-open, cached per data version.

Each endpoint's JSON is built once per data version (`statuspage.data_version`,
one tiny query of write-time counters) and kept in the Django cache (kit.cache, fail-open); responses carry a weak ETag and a
matching If-None-Match gets a 304. Only GET and HEAD are allowed.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from integrations import statuspage
from kit import cache as kit_cache
from kit.conditional import is_fresh, make_etag


def _cors(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = "public, no-cache"
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def _content(endpoint: str, version: str) -> str:
    """Return the endpoint's JSON for this data version, from the cache when there."""
    return kit_cache.cached_or_build(
        f"statuspage:{endpoint}:{version}",
        lambda: json.dumps(statuspage.build(endpoint)),
    )


def endpoint_view(endpoint: str):
    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        version = statuspage.data_version()
        etag = make_etag("statuspage", endpoint, version)
        if is_fresh(request, etag):
            return _cors(HttpResponseNotModified(), etag)
        content = _content(endpoint, version)
        return _cors(HttpResponse(content, content_type="application/json"), etag)

    view.__name__ = f"statuspage_{endpoint.replace('-', '_')}"
    view.__doc__ = f"Statuspage v2 `{endpoint}` document (public, cached)."
    return view
