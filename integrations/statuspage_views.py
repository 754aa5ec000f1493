"""Statuspage v2-compatible public API: read-only, no login, CORS-open, cached per data version.

Each endpoint's JSON is built once per data version (`statuspage.data_version`,
one query) and kept in the Django cache; responses carry a weak ETag and a
matching If-None-Match gets a 304. Only GET and HEAD are allowed.
"""

from __future__ import annotations

import json
import logging

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from integrations import statuspage
from kit.conditional import is_fresh, make_etag

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60 * 60


def _cors(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = "public, no-cache"
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def _content(endpoint: str, version: str, last_published) -> str:
    key = f"statuspage:{endpoint}:{version}"
    try:
        content = cache.get(key)
    except Exception:  # a cache outage slows the API down; it must not break it
        logger.warning(
            "statuspage cache unavailable; building %s uncached", endpoint, exc_info=True
        )
        return json.dumps(statuspage.build(endpoint, last_published))
    if content is None:
        content = json.dumps(statuspage.build(endpoint, last_published))
        try:
            cache.set(key, content, CACHE_SECONDS)
        except Exception:
            logger.warning("statuspage cache unavailable; not storing %s", endpoint, exc_info=True)
    return content


def endpoint_view(endpoint: str):
    @require_safe
    def view(request: HttpRequest) -> HttpResponse:
        version, last_published = statuspage.data_version()
        etag = make_etag("statuspage", endpoint, version)
        if is_fresh(request, etag):
            return _cors(HttpResponseNotModified(), etag)
        content = _content(endpoint, version, last_published)
        return _cors(HttpResponse(content, content_type="application/json"), etag)

    view.__name__ = f"statuspage_{endpoint.replace('-', '_')}"
    view.__doc__ = f"Statuspage v2 `{endpoint}` document (public, cached)."
    return view
