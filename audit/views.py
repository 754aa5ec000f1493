"""Admin-only export views."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from audit import exports
from audit.models import AuditEvent


def _admin_only(request: HttpRequest) -> None:
    if not request.user.has_perm("audit.view_auditevent"):
        raise PermissionDenied


def _export(
    request: HttpRequest,
    lines: Callable[[QuerySet[AuditEvent]], Iterable[str]],
    content_type: str,
    filename: str,
) -> HttpResponse | StreamingHttpResponse:
    _admin_only(request)
    try:
        events = exports.filtered(request.GET)
    except ValidationError as error:
        return JsonResponse(
            {
                "error": {
                    "status": 400,
                    "code": "invalid",
                    "message": "Invalid filter.",
                    "fields": error.message_dict,
                }
            },
            status=400,
        )
    response = StreamingHttpResponse(lines(events), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_member_required
def export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, exports.csv_lines, "text/csv; charset=utf-8", "audit.csv")


@staff_member_required
def export_jsonl(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, exports.json_lines, "application/jsonl; charset=utf-8", "audit.jsonl")
