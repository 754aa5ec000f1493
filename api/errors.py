"""One JSON shape for every API error.

{"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"severity": ["…"]}}}
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from incidents.decision_log.models import LogImmutable
from kit.errors import DomainError


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"points[3].value": ["…"]}."""

    def path(key: Any) -> str:
        if key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
            return prefix  # {"points": {"non_field_errors": …}} is about "points"
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            return f"{prefix}[{key}]"
        return f"{prefix}.{key}" if prefix else str(key)

    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = path(key)
            if isinstance(value, dict):
                out.update(_flatten(value, name))
            elif isinstance(value, list):
                flat: list[str] = []
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        out.update(_flatten(item, f"{name}[{i}]"))
                    else:
                        flat.append(str(item))
                if flat:
                    out[name] = flat
            else:
                out[name] = [str(value)]
        return out
    if isinstance(detail, list):
        return {prefix or "non_field_errors": [str(d) for d in detail]}
    return {}


def error_response(
    status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> Response:
    body: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return Response({"error": body}, status=status_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        fields = {exc.field: [exc.message]} if exc.field else None
        code = getattr(exc, "code", None) or {
            400: "invalid",
            403: "permission_denied",
            409: "conflict",
        }.get(exc.status, "invalid")
        return error_response(exc.status, code, exc.message, fields)
    if isinstance(exc, LogImmutable):
        return error_response(status.HTTP_405_METHOD_NOT_ALLOWED, "append_only", str(exc))
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            "too_large",
            f"The body is larger than {limit} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE).",
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else None
    fields = _flatten(detail) if isinstance(exc, exceptions.ValidationError) else None
    if fields:
        first_field, msgs = next(iter(fields.items()))
        message = f"{first_field}: {msgs[0]}"
    elif isinstance(detail, (str, list)):
        message = str(detail if isinstance(detail, str) else detail[0])
    else:
        message = str(detail or exc)
    code = getattr(exc, "default_code", "error")
    new = error_response(response.status_code, code, message, fields)
    for header in ("WWW-Authenticate", "Allow", "Retry-After"):
        if header in response:
            new[header] = response[header]
    return new
