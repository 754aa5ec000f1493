"""OpenAPI pieces drf-spectacular cannot infer: the token scheme and the error shape."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import serializers


class HashedTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token issued by `manage.py issue_token USERNAME`; send "Token <key>".',
        }


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(
        help_text='e.g. "invalid", "permission_denied", "not_found", "conflict".'
    )
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Offending inputs, e.g. {"points[3].value": ["A valid number is required."]}.',
    )


class ErrorSerializer(serializers.Serializer):
    """The one shape of every API error (see api/errors.py)."""

    error = ErrorBodySerializer()


ERROR_RESPONSES = {code: ErrorSerializer for code in (400, 401, 403, 404)}


def document(*, responses: Any, **kwargs: Any) -> Any:
    """Apply extend_schema, adding the error responses every endpoint can give.

    `responses` is the success response: a serializer (200) or {status: serializer}.
    Writes (those with a `request` body) may also answer 409: the current
    state does not allow them.
    """
    if not isinstance(responses, dict):
        responses = {200: responses}
    errors = {**ERROR_RESPONSES, 409: ErrorSerializer} if "request" in kwargs else ERROR_RESPONSES
    return extend_schema(responses={**errors, **responses}, **kwargs)
