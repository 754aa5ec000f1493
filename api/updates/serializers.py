"""Status updates over the API: renditions, drafting and editing, publishing, the jargon report.

As everywhere in api/, input serializers check shape and types and
resolve references; the comms services decide. Output fields whose choices
clash by name with other enums of the schema ("kind", "status") are plain
strings with the values in their help text, so the OpenAPI enums stay
unambiguous.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import AwareDateTimeField, UsernameField, username_of
from comms.models import Rendition, StatusUpdate
from incidents.choices import Audience
from kit.openapi import AtLeastOne

# The longest free text of an update field or rendition; the jargon check takes as much.
TEXT_MAX = 20_000


class RenditionSerializer(serializers.ModelSerializer):
    signed_off_by = username_of("signed_off_by")

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
    author = username_of("author")
    published_by = username_of("published_by")
    jargon_acknowledged_by = username_of("jargon_acknowledged_by")
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

    def to_internal_value(self, data: Any) -> StatusUpdate:  # type: ignore[override]  # resolves to the row, not the number
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
