"""One `request` event per request, and the request's context on every event it causes.

First in MIDDLEWARE, so every later middleware's lines carry the request id:

1. take the request id from `X-Request-ID` if it is a sane token (kit/logs.py),
   else make one; bind it for the request's events and return it as `X-Request-ID`;
2. when the URL names an incident (`incident_id`, or `pk` under /incidents/), bind
   its reference (INC-42), and the view's name;
3. log `request` with method, path (never the query string; URL parts named like a
   token are replaced), status, duration_ms and view, and count and time it for
   /metrics (console/prometheus.py) from the same measurement;
4. unbind everything once the response is sent (request_finished), so Django's own
   "Not Found: …" line, written after the middleware returns, still has the id.

The user is added to each event by `kit.logs.add_user` once the request has
resolved it (the session, or DRF's token authentication): logging never triggers
that lookup itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase

from console import prometheus
from incidents.models import incident_reference
from kit import logs

log = structlog.get_logger("console.request")

HEADER = "X-Request-ID"


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = logs.sane_request_id(request.headers.get(HEADER)) or logs.new_request_id()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        logs.set_request(request)
        started = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = request_id
        seconds = time.perf_counter() - started
        prometheus.observe_request(request, response.status_code, seconds)
        match = request.resolver_match
        log.info(
            "request",
            method=request.method,
            path=logged_path(request),
            status=response.status_code,
            duration_ms=round(seconds * 1000, 1),
            view=match.view_name if match else None,
        )
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        reference = incident_in(request.path, view_kwargs)
        if reference:
            structlog.contextvars.bind_contextvars(incident=reference)


def incident_in(path: str, kwargs: dict[str, Any]) -> str | None:
    """Return the reference of the incident a URL is about, if it names one."""
    pk = kwargs.get("incident_id")
    if pk is None and path.startswith("/incidents/"):
        pk = kwargs.get("pk")
    return incident_reference(pk) if isinstance(pk, int) else None


def logged_path(request: HttpRequest) -> str:
    """Return the path without its query string, URL parts named like secrets replaced."""
    path = request.path
    match = request.resolver_match
    for name, value in (match.kwargs if match else {}).items():
        if logs.SECRET_KEY_NAMES.search(name) and str(value):
            path = path.replace(str(value), logs.REDACTED)
    return path


@receiver(request_finished, dispatch_uid="console.request_logs.forget")
def forget_request(**_: object) -> None:
    logs.set_request(None)
    structlog.contextvars.clear_contextvars()
