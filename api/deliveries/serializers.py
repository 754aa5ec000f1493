"""The outbox over the API (read only, for operators); endpoint targets shown redacted."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import username_of
from comms.models import Channel, Delivery, DeliveryAttempt


def redact(channel: str, target: str) -> str:
    """Hide the secret parts of endpoint targets (Slack and Apprise URLs carry tokens)."""
    if channel in (Channel.EMAIL, Channel.INAPP) or not target:
        return target
    parts = urlsplit(target)
    return f"{parts.scheme}://{parts.hostname or ''}/…" if parts.scheme else "…"


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "at", "ok", "status_code", "error", "duration_ms"]


class DeliverySerializer(serializers.ModelSerializer):
    """One outbox row; expects update and user selected."""

    kind = serializers.CharField(help_text="update, reminder, escalation or test.")
    status = serializers.CharField(help_text="pending, delivered or failed (permanent).")
    target = serializers.SerializerMethodField(
        help_text="E-mail address, or the URL's scheme and host only."
    )
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    update = serializers.IntegerField(source="update.number", allow_null=True, default=None)  # type: ignore[assignment]  # the field shadows a Serializer attribute
    subscription = serializers.IntegerField(source="subscription_id", allow_null=True)
    user = username_of("user")
    attempt_count = serializers.IntegerField(source="attempts")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "kind",
            "status",
            "channel",
            "target",
            "audience",
            "incident",
            "update",
            "subscription",
            "user",
            "is_drill",
            "attempt_count",
            "next_attempt_at",
            "delivered_at",
            "last_error",
            "created_at",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_target(self, delivery: Delivery) -> str:
        return redact(delivery.channel, delivery.target)


class DeliveryDetailSerializer(DeliverySerializer):
    """A delivery with its payload and every attempt; the reader's feedback link is left out."""

    attempts = DeliveryAttemptSerializer(source="attempt_log", many=True)
    payload = serializers.SerializerMethodField()

    class Meta(DeliverySerializer.Meta):
        fields = [*DeliverySerializer.Meta.fields, "payload", "attempts"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, delivery: Delivery) -> dict[str, Any]:
        payload = dict(delivery.payload or {})
        payload.pop("feedback_url", None)
        return payload


class DeliveryFilterSerializer(serializers.Serializer):
    incident = serializers.IntegerField(min_value=1, max_value=2_147_483_647, required=False)
    status = serializers.ChoiceField(choices=Delivery.Status.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    kind = serializers.ChoiceField(choices=Delivery.Kind.choices, required=False)
