"""Parse and render the comms API: updates, subscriptions, deliveries, deadlines, inbox, feedback.

As in api/serializers.py, input serializers check shape and types and
resolve references; the comms services decide. Output fields whose choices
clash by name with other enums of the schema ("kind", "status") are plain
strings with the values in their help text, so the OpenAPI enums stay
unambiguous.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.schema import AtLeastOne
from api.serializers import AwareDateTimeField, LookupField, UsernameField
from comms.cadence import MAX_SNOOZE_MINUTES
from comms.models import (
    Channel,
    Deadline,
    Delivery,
    DeliveryAttempt,
    Rendition,
    StatusUpdate,
    Subscription,
)
from glossary.jargon import JargonMatch
from incidents.choices import Audience
from incidents.models import MonitoredModel

TEXT_MAX = 20_000


def _username(source: str) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.username", allow_null=True, default=None)


# --- Updates ----------------------------------------------------------------------------------


class RenditionSerializer(serializers.ModelSerializer):
    signed_off_by = _username("signed_off_by")

    class Meta:
        model = Rendition
        fields = ["audience", "summary", "body", "signed_off_by", "signed_off_at"]


class UpdateSerializer(serializers.ModelSerializer):
    """An update with its renditions; expects renditions, corrects and the users prefetched."""

    incident = serializers.IntegerField(source="incident_id")
    status = serializers.CharField(help_text="draft, awaiting_signoff or published.")
    corrects = serializers.IntegerField(
        source="corrects.number",
        allow_null=True,
        default=None,
        help_text="Number of the update this corrects.",
    )
    author = _username("author")
    published_by = _username("published_by")
    jargon_acknowledged_by = _username("jargon_acknowledged_by")
    log_sequence = serializers.IntegerField(
        source="log_entry.sequence",
        allow_null=True,
        default=None,
        help_text="The log entry that records the publication.",
    )
    renditions = RenditionSerializer(many=True)

    class Meta:
        model = StatusUpdate
        fields = [
            "incident",
            "number",
            "status",
            "what_changed",
            "uncertain",
            "decisions_pending",
            "actions_in_progress",
            "current_impact",
            "next_update_at",
            "corrects",
            "author",
            "created_at",
            "updated_at",
            "published_at",
            "published_by",
            "jargon_acknowledged_by",
            "log_sequence",
            "renditions",
        ]


class UpdateFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=StatusUpdate.Status.choices, required=False)


class RenditionInSerializer(serializers.Serializer):
    summary = serializers.CharField(
        max_length=500, help_text="Short executive summary, read first."
    )
    body = serializers.CharField(
        max_length=TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="The deeper dive.",
    )


class RenditionsInSerializer(AtLeastOne, serializers.Serializer):
    """One rendition per targeted audience."""

    closed = True  # unknown audiences are refused

    technical = RenditionInSerializer(required=False)
    executive = RenditionInSerializer(required=False)
    regulator = RenditionInSerializer(required=False)
    customer = RenditionInSerializer(required=False)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            unknown = sorted(str(k) for k in data if k not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [f"Unknown audience; use {', '.join(Audience.values)}."]
                        for name in unknown
                    }
                )
        value = super().to_internal_value(data)
        if not value:
            raise serializers.ValidationError("Give at least one rendition.")
        return value


class UpdateNumberField(serializers.IntegerField):
    """An update of the incident in the serializer context, named by its number."""

    default_error_messages = {"missing": "No update {number} in this incident."}

    def to_internal_value(self, data: Any) -> StatusUpdate:
        number = super().to_internal_value(data)
        update = None
        if 1 <= number <= 2_147_483_647:
            update = StatusUpdate.objects.filter(
                incident=self.context["incident"], number=number
            ).first()
        if update is None:
            self.fail("missing", number=number)
        return update


class _UpdateFieldsSerializer(serializers.Serializer):
    uncertain = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    decisions_pending = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    actions_in_progress = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True
    )
    current_impact = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    next_update_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        help_text="When the next update is promised; in the future.",
    )


class UpdateCreateSerializer(_UpdateFieldsSerializer):
    what_changed = serializers.CharField(max_length=TEXT_MAX)
    renditions = RenditionsInSerializer()
    corrects = UpdateNumberField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Number of the published update this corrects.",
    )


class UpdateEditSerializer(AtLeastOne, _UpdateFieldsSerializer):
    """Give only what changes; `renditions`, when given, replaces the whole set."""

    what_changed = serializers.CharField(max_length=TEXT_MAX, required=False)
    renditions = RenditionsInSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give at least one field to change.")
        return attrs


class PublishSerializer(serializers.Serializer):
    acknowledge_jargon = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Publish although plain-language renditions use technical terms (logged).",
    )
    approved_by = UsernameField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Who approved a customer notice, when the playbook asks for it.",
    )


class UpdateJargonMatchSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    field = serializers.CharField(help_text="summary or body")
    slug = serializers.CharField()
    term = serializers.CharField()
    matched = serializers.CharField(help_text="The text as written.")
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    plain_definition = serializers.CharField()


class UpdateJargonSerializer(serializers.Serializer):
    matches = UpdateJargonMatchSerializer(many=True)
    flagged = serializers.BooleanField(help_text="Publishing needs acknowledge_jargon.")


class RegulatorUpdateSerializer(serializers.ModelSerializer):
    """A published, signed-off regulator rendition; expects update__incident selected."""

    incident = serializers.IntegerField(source="update.incident_id")
    incident_reference = serializers.CharField(source="update.incident.reference")
    incident_title = serializers.CharField(source="update.incident.title")
    update = serializers.IntegerField(source="update.number")
    published_at = serializers.DateTimeField(source="update.published_at")

    class Meta:
        model = Rendition
        fields = [
            "id",
            "incident",
            "incident_reference",
            "incident_title",
            "update",
            "published_at",
            "summary",
            "body",
            "signed_off_at",
        ]


# --- Jargon check -------------------------------------------------------------------------------


class JargonCheckSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, trim_whitespace=False)
    audience = serializers.ChoiceField(choices=Audience.choices)


class JargonMatchSerializer(serializers.Serializer):
    slug = serializers.CharField()
    term = serializers.CharField()
    matched = serializers.CharField(help_text="The text as written.")
    start = serializers.IntegerField(
        help_text="Offset of the first character (Python string index)."
    )
    end = serializers.IntegerField(help_text="Offset after the last character.")
    plain_definition = serializers.CharField()

    def to_representation(self, instance: JargonMatch | dict[str, Any]) -> dict[str, Any]:
        return super().to_representation(
            instance.as_dict() if isinstance(instance, JargonMatch) else instance
        )


class JargonResultSerializer(serializers.Serializer):
    matches = JargonMatchSerializer(many=True)
    flagged = serializers.BooleanField(
        help_text="True when terms were found and the audience needs plain language "
        "(executive, regulator, customer)."
    )


# --- Subscriptions -----------------------------------------------------------------------------


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription; expects user selected and monitored_models prefetched."""

    kind = serializers.SerializerMethodField(
        help_text="user (inbox and e-mail of `user`) or endpoint."
    )
    user = _username("user")
    # A plain integer: a second name for the severity enum would make the schema ambiguous.
    min_severity = serializers.IntegerField(
        help_text="Notify for this severity (1–4) and more severe."
    )
    models = serializers.SlugRelatedField(
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


# --- Deliveries --------------------------------------------------------------------------------


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
    update = serializers.IntegerField(source="update.number", allow_null=True, default=None)
    subscription = serializers.IntegerField(source="subscription_id", allow_null=True)
    user = _username("user")
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


# --- Inbox -------------------------------------------------------------------------------------


class InboxItemSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="update, reminder, escalation or test.")
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "kind",
            "incident",
            "audience",
            "is_drill",
            "payload",
            "created_at",
            "read_at",
            "is_read",
        ]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_read(self, delivery: Delivery) -> bool:
        return delivery.read_at is not None


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Messages marked read now.")
    unread = serializers.IntegerField()


# --- Deadlines ---------------------------------------------------------------------------------


class DeadlineSerializer(serializers.ModelSerializer):
    """One cadence slot; expects opened_by, fulfilled_by and snoozed_by selected."""

    is_open = serializers.BooleanField()
    opened_by = serializers.IntegerField(
        source="opened_by.number",
        allow_null=True,
        default=None,
        help_text="The update whose publication opened it (null: the declaration).",
    )
    fulfilled_by = serializers.IntegerField(
        source="fulfilled_by.number", allow_null=True, default=None
    )
    snoozed_by = _username("snoozed_by")

    class Meta:
        model = Deadline
        fields = [
            "id",
            "audience",
            "opened_at",
            "due_at",
            "cadence_minutes",
            "opened_by",
            "is_open",
            "outcome",
            "fulfilled_at",
            "fulfilled_by",
            "reminded_at",
            "escalated_at",
            "escalation_step",
            "snoozed_at",
            "snoozed_by",
            "snooze_reason",
            "cancelled_at",
        ]


class DeadlineFilterSerializer(serializers.Serializer):
    is_open = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: open deadlines only; false: past ones only.",
    )


class SnoozeSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_SNOOZE_MINUTES, help_text=f"1 to {MAX_SNOOZE_MINUTES}."
    )
    reason = serializers.CharField(max_length=300)


# --- Feedback ----------------------------------------------------------------------------------


class RatingStatsSerializer(serializers.Serializer):
    avg_clarity = serializers.FloatField(allow_null=True)
    avg_usefulness = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class AudienceRatingSerializer(RatingStatsSerializer):
    audience = serializers.ChoiceField(choices=Audience.choices)


class UpdateRatingSerializer(AudienceRatingSerializer):
    update = serializers.IntegerField(help_text="Update number.")


class FeedbackSummarySerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    overall = RatingStatsSerializer()
    by_audience = AudienceRatingSerializer(many=True)
    by_update = UpdateRatingSerializer(many=True, help_text="Per update and audience.")
