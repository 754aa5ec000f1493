"""Remember the request for model-level audit hooks; record reads of regulator renditions."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.models import Action
from audit.services import current_request, record


def mark_regulator_read(request: HttpRequest) -> None:
    """Have the middleware record this request as a read of a regulator rendition.

    Every view that returns regulator renditions calls it (the regulator channel
    in the API, the regulator status page, a review read with the regulator
    audience): the view knows what it returned; a list of URL names would not.
    """
    underlying = getattr(request, "_request", request)  # DRF wraps Django's request
    setattr(underlying, "_audit_regulator_read", True)


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            response = self.get_response(request)
            self._record_regulator_read(request, response)
            return response
        finally:
            current_request.reset(token)

    @staticmethod
    def _record_regulator_read(request: HttpRequest, response: HttpResponse) -> None:
        match = getattr(request, "resolver_match", None)
        marked = getattr(request, "_audit_regulator_read", False)
        if match is None or not marked or response.status_code != 200:
            return
        # API requests authenticate inside DRF: the wrapped request carries the user.
        user = getattr(getattr(response, "renderer_context", {}).get("request"), "user", None)
        record(
            action=Action.REGULATOR_READ,
            request=request,
            actor=user if user is not None and user.is_authenticated else None,
            details={
                "path": request.path,
                "query": request.GET.urlencode(),
                "view": match.view_name,
            },
        )
