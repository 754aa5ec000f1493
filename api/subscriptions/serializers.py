"""Subscriptions: one's own (inbox and e-mail) and external endpoints; the test send's answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import LookupField, username_of
from comms.models import Channel, Delivery, Subscription
from incidents.choices import Audience
from incidents.models import MonitoredModel
from kit.openapi import AtLeastOne


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription; expects user selected and monitored_models prefetched."""

    kind = serializers.SerializerMethodField(
        help_text="user (inbox and e-mail of `user`) or endpoint."
    )
    user = username_of("user")
    # A plain integer: a second name for the severity enum would make the schema ambiguous.
    min_severity = serializers.IntegerField(
        help_text="Notify for this severity (1–4) and more severe."
    )
    models = serializers.SlugRelatedField(  # type: ignore[var-annotated]  # many=True
        source="monitored_models", slug_field="slug", many=True, read_only=True
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "name",
            "kind",
            "user",
            "channel",
            "target",
            "audience",
            "min_severity",
            "models",
            "teams",
            "include_drills",
            "email",
            "is_active",
            "created_at",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_kind(self, subscription: Subscription) -> str:
        return "user" if subscription.user_id else "endpoint"


class SubscriptionSecretSerializer(SubscriptionSerializer):
    """Shown once, on create and on rotation: the webhook signing secret."""

    secret = serializers.SerializerMethodField(
        help_text="Webhook signing secret (whsec_…); null for other channels."
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secret(self, subscription: Subscription) -> str | None:
        return subscription.secret if subscription.channel == Channel.WEBHOOK else None


# Endpoint subscriptions only: the in-app inbox is what a subscription without a channel gets.
ENDPOINT_CHANNEL_CHOICES = [(c.value, c.label) for c in Channel if c != Channel.INAPP]


class _SubscriptionFieldsSerializer(serializers.Serializer):
    min_severity = serializers.IntegerField(
        min_value=1,
        max_value=4,
        required=False,
        help_text="Notify for this severity (1–4) and more severe; default 4.",
    )
    models = LookupField(
        slug_field="slug",
        queryset=MonitoredModel.objects.all(),
        many=True,
        required=False,
        help_text="Slugs of watched models; empty means any.",
    )
    teams = serializers.ListField(
        child=serializers.CharField(max_length=120),
        required=False,
        max_length=50,
        help_text="Owning teams of the affected models; empty means any.",
    )
    include_drills = serializers.BooleanField(required=False)
    email = serializers.BooleanField(
        required=False, help_text="User subscriptions: also send e-mail."
    )
    is_active = serializers.BooleanField(required=False)
    target = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        # Untrimmed: a trailing CR/LF is refused by name (comms/outbound.py), not silently cut.
        trim_whitespace=False,
        help_text="Endpoint subscriptions: e-mail address, http(s) URL or Apprise URL "
        "(no control characters; loopback, private, link-local and other internal addresses "
        "are refused unless OUTBOUND_ALLOWED_NETWORKS opens them).",
    )


class SubscriptionCreateSerializer(_SubscriptionFieldsSerializer):
    name = serializers.CharField(max_length=120)
    audience = serializers.ChoiceField(choices=Audience.choices)
    channel = serializers.ChoiceField(
        choices=ENDPOINT_CHANNEL_CHOICES,
        required=False,
        allow_blank=True,
        help_text="Omit to subscribe yourself; email, slack, webhook or apprise for an endpoint.",
    )


class SubscriptionEditSerializer(AtLeastOne, _SubscriptionFieldsSerializer):
    """Give only what changes."""

    name = serializers.CharField(max_length=120, required=False)
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    channel = serializers.ChoiceField(
        choices=ENDPOINT_CHANNEL_CHOICES,
        required=False,
        allow_blank=True,
        help_text="Cannot change: accepted only when it is the subscription's own (else 400).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give at least one field to change.")
        return attrs


class DeliveryRefSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text="pending, delivered or failed.")

    class Meta:
        model = Delivery
        fields = ["id", "channel", "status"]


class TestSendSerializer(serializers.Serializer):
    deliveries = DeliveryRefSerializer(many=True)
