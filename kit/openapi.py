"""OpenAPI pieces drf-spectacular cannot infer, shared by api and integrations: the
error shape, and the input rules a plain mapping leaves out (non-blank text, "give at
least one field"). They live in the base layer so that integrations, which api
includes, need not import api back; each app registers its own auth schemes.

The schema must accept exactly what the validation accepts: tests/api/
test_it_schemathesis.py fuzzes every operation and fails when a request the
schema calls valid is refused with a 400.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.validators import RegexValidator
from drf_spectacular.drainage import has_override
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

# What Python's str.strip() removes (DRF trims text fields with it), spelled out so that
# the pattern means the same in ECMA-262 (the spec's dialect) and in Python's re.
_WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Contains something besides whitespace (a pattern is a search, not a full match).
NON_BLANK = rf"[^{_WHITESPACE}]"
_FORMATTED_TEXT = (
    serializers.EmailField,
    serializers.URLField,
    serializers.SlugField,
    serializers.IPAddressField,
    serializers.RegexField,
)


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the rules DRF applies to request fields.

    A CharField refuses, unless allow_blank, text that is blank once trimmed: say
    so with a pattern (fields with a pattern or format of their own keep it).
    DRF also refuses NUL characters in any text, which docs/api.md states once
    for the whole API rather than in a pattern on every field.
    """

    def _get_serializer_field_meta(self, field: Any, direction: str) -> dict[str, Any]:
        meta = super()._get_serializer_field_meta(field, direction)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not isinstance(field, _FORMATTED_TEXT)
            and not has_override(field, "field")
            and not any(isinstance(v, RegexValidator) for v in field.validators)
            and not field.allow_blank
            and field.trim_whitespace
        ):
            meta["pattern"] = NON_BLANK
        return meta

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # drf-spectacular leaves out a nested list's length limits (many=True).
        if (
            isinstance(field, serializers.ListSerializer)
            and isinstance(schema, dict)
            and schema.get("type") == "array"
        ):
            # The stubs do not declare ListSerializer's min_length / max_length.
            min_length = getattr(field, "min_length", None)
            max_length = getattr(field, "max_length", None)
            if min_length is not None or not field.allow_empty:
                schema["minItems"] = max(min_length or 0, 0 if field.allow_empty else 1)
            if max_length is not None:
                schema["maxItems"] = max_length
        return schema


class AtLeastOne:
    """Mixin for input serializers that refuse a body without any of `at_least_one_of`.

    The schema says so with anyOf/required (every field when the tuple is
    empty); `closed` adds additionalProperties: false for bodies that refuse
    unknown keys.
    """

    at_least_one_of: ClassVar[tuple[str, ...]] = ()
    closed: ClassVar[bool] = False


class AtLeastOneExtension(OpenApiSerializerExtension):
    target_class = AtLeastOne
    match_subclasses = True

    def map_serializer(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            names = self.target.at_least_one_of or tuple(schema.get("properties", {}))
            schema["anyOf"] = [{"required": [name]} for name in names]
            if self.target.closed:
                schema["additionalProperties"] = False
        return schema


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(
        help_text='e.g. "invalid", "permission_denied", "not_found", "conflict".'
    )
    message = serializers.CharField()
    fields = serializers.DictField(  # type: ignore[assignment]  # a field named like Serializer.fields
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
    Writes (those with a `request` body) may also answer 409 (the current state
    does not allow them), 413 (the body is over DATA_UPLOAD_MAX_MEMORY_SIZE) and
    415 (the body is not JSON).
    """
    if not isinstance(responses, dict):
        responses = {200: responses}
    errors = (
        {**ERROR_RESPONSES, **{code: ErrorSerializer for code in (409, 413, 415)}}
        if "request" in kwargs
        else ERROR_RESPONSES
    )
    return extend_schema(responses={**errors, **responses}, **kwargs)


def require_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: a body that is one of several shapes, or needs some field, is required.

    drf-spectacular marks a body required from its serializer's required fields,
    which a oneOf (PolymorphicProxySerializer) or an anyOf (AtLeastOne) does not
    list; the views refuse a missing body there (log entries, PagerDuty events,
    "give at least one field").
    """
    schemas = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if not body:
                continue
            for media in body.get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                component = schemas.get(ref.rsplit("/", 1)[-1], {})
                if "oneOf" in component or "anyOf" in component:
                    body["required"] = True
    return result
