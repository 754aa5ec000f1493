"""Serializer fields every API resource uses: aware times, lookups by name, amounts, strict numbers.

They hold no domain rules: a field checks the shape of one input (an offset on a
time, a known username, a finite number) and resolves references to rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

User = get_user_model()


def username_of(source: str) -> serializers.CharField:
    """The username of the user at `source` (a relation), or null when there is none."""
    return serializers.CharField(source=f"{source}.username", allow_null=True, default=None)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that must carry its offset: naive times are refused."""

    default_error_messages = {"naive": "Give a time zone offset, e.g. 2026-01-31T12:00:00Z."}

    def enforce_timezone(self, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        return super().enforce_timezone(value)


class LookupField(serializers.SlugRelatedField):
    """A row named by a slug-like string; unknown names are a 400 on this field."""

    def to_internal_value(self, data: Any) -> Any:
        # Check before querying: PostgreSQL refuses NUL bytes with an error, not "no row".
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class UsernameField(LookupField):
    """An active user named by username."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(slug_field="username", **kwargs)


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^\d{1,12}(?:\.\d{1,2})?$"}
)
class MoneyField(serializers.DecimalField):
    """A non-negative amount with at most 12 digits before the point and 2 after."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=14, decimal_places=2, min_value=0, **kwargs)


class StrictFloatField(serializers.FloatField):
    """A finite number; JSON true/false are not numbers here."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)
