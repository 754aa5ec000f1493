"""Feeds of the public status page: Atom, RSS 2.0 and iCalendar; no login, cached per data version.

Like /status/public/, each document is built once per public data version
(kit.cache, fail-open) and answered with a weak ETag; a matching
If-None-Match gets a 304.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_safe

from console.pages.status import data_version
from incidents.choices import Audience
from kit import cache as kit_cache
from kit.conditional import is_fresh, make_etag
from publicstatus import feeds

CONTENT_TYPES = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
}
BUILDERS: dict[str, Callable[[], str]] = {
    "atom": lambda: feeds.syndication("atom"),
    "rss": lambda: feeds.syndication("rss"),
    "ics": lambda: feeds.calendar().decode(),
}


def _feed(request: HttpRequest, kind: str) -> HttpResponse:
    version = data_version(Audience.CUSTOMER)
    etag = make_etag("public-feed", kind, version)
    if is_fresh(request, etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        content = kit_cache.cached_or_build(f"status:feed-{kind}:{version}", BUILDERS[kind])
        response = HttpResponse(content, content_type=CONTENT_TYPES[kind])
    response["ETag"] = etag
    response["Cache-Control"] = "public, no-cache"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def atom(request: HttpRequest) -> HttpResponse:
    """Public incident updates and maintenance as Atom."""
    return _feed(request, "atom")


@require_safe
def rss(request: HttpRequest) -> HttpResponse:
    """Public incident updates and maintenance as RSS 2.0."""
    return _feed(request, "rss")


@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    """Announced maintenance windows as iCalendar."""
    response = _feed(request, "ics")
    response["Content-Disposition"] = 'inline; filename="maintenance.ics"'
    return response
