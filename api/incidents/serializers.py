"""Incidents over the API: list and detail shapes, declaring, severity, impact, milestones, roles.

Input serializers only check shape and types and resolve references
(usernames, model slugs) to rows; the services decide.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import AwareDateTimeField, LookupField, MoneyField, UsernameField
from incidents.choices import ExposureLevel, Phase, Role, Severity
from incidents.models import Incident, Milestone, MonitoredModel, RoleAssignment
from kit.openapi import AtLeastOne


class AffectedModelOutSerializer(serializers.Serializer):
    slug = serializers.CharField(source="model.slug")
    name = serializers.CharField(source="model.name")
    version = serializers.CharField()
    risk_tier = serializers.IntegerField(source="model.risk_tier")


class RoleAssignmentSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username")
    assigned_by = serializers.CharField(
        source="assigned_by.username", allow_null=True, default=None
    )
    is_active = serializers.BooleanField()

    class Meta:
        model = RoleAssignment
        fields = [
            "id",
            "role",
            "user",
            "assigned_by",
            "started_at",
            "ended_at",
            "is_active",
            "note",
        ]


class MilestoneSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(
        source="recorded_by.username", allow_null=True, default=None
    )

    class Meta:
        model = Milestone
        fields = ["phase", "reached_at", "indicator", "recorded_by"]


class IncidentSerializer(serializers.ModelSerializer):
    """An incident in a list: expects affected_links__model and `active_roles` prefetched."""

    reference = serializers.CharField()
    severity_label = serializers.CharField()
    models = AffectedModelOutSerializer(source="affected_links", many=True)
    commander = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "reference",
            "title",
            "severity",
            "severity_label",
            "phase",
            "is_drill",
            "source",
            "models",
            "commander",
            "customers_affected",
            "revenue_at_risk_per_hour",
            "regulatory_exposure",
            "detected_at",
            "declared_at",
            "resolved_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_commander(self, incident: Incident) -> str | None:
        for assignment in incident.active_roles:  # type: ignore[attr-defined]  # prefetched to_attr
            if assignment.role == Role.COMMANDER:
                return assignment.user.username
        return None


class IncidentCountsSerializer(serializers.Serializer):
    log_entries = serializers.IntegerField(source="log_entry_count")
    decisions = serializers.IntegerField(source="decision_count")
    decision_requests = serializers.IntegerField(source="decision_request_count")
    corrections = serializers.IntegerField(source="correction_count")


class IncidentDetailSerializer(IncidentSerializer):
    """One incident: expects the counts annotated and milestones prefetched."""

    roles = RoleAssignmentSerializer(source="active_roles", many=True)
    milestones = MilestoneSerializer(many=True)
    counts = IncidentCountsSerializer(source="*")
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "scope",
            "summary",
            "regulatory_notes",
            "customer_experience",
            "dedup_key",
            "created_by",
            "roles",
            "milestones",
            "counts",
        ]


# --- Input: incidents ---------------------------------------------------------------------


class AffectedModelInSerializer(serializers.Serializer):
    slug = LookupField(slug_field="slug", queryset=MonitoredModel.objects.all())
    version = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class DeclareIncidentSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices)
    scope = serializers.CharField(required=False, allow_blank=True, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    models = AffectedModelInSerializer(many=True, required=False, default=list)
    customers_affected = serializers.IntegerField(
        min_value=0, max_value=2_147_483_647, required=False, default=0
    )
    revenue_at_risk_per_hour = MoneyField(required=False, default=0)
    regulatory_exposure = serializers.ChoiceField(
        choices=ExposureLevel.choices, required=False, default="none"
    )
    customer_experience = serializers.CharField(required=False, allow_blank=True, default="")
    is_drill = serializers.BooleanField(required=False, default=False)
    detected_at = AwareDateTimeField(required=False, allow_null=True, default=None)
    detection_indicator = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    dedup_key = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate_models(self, value: list[dict[str, Any]]) -> list[tuple[MonitoredModel, str]]:
        pairs = [(item["slug"], item["version"] or item["slug"].current_version) for item in value]
        if len({(m.pk, v) for m, v in pairs}) != len(pairs):
            raise serializers.ValidationError("Name each model and version once.")
        return pairs


class IncidentFilterSerializer(serializers.Serializer):
    """Query parameters of the incident list."""

    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    model = LookupField(
        slug_field="slug",
        queryset=MonitoredModel.objects.all(),
        required=False,
        help_text="Slug of an affected model.",
    )
    is_drill = serializers.BooleanField(required=False, allow_null=True, default=None)


class SeverityChangeSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = serializers.CharField()


class ImpactUpdateSerializer(AtLeastOne, serializers.Serializer):
    """Only the fields given change; `reason` is logged with them."""

    at_least_one_of = (
        "customers_affected",
        "revenue_at_risk_per_hour",
        "regulatory_exposure",
        "regulatory_notes",
        "customer_experience",
    )

    customers_affected = serializers.IntegerField(
        min_value=0, max_value=2_147_483_647, required=False
    )
    revenue_at_risk_per_hour = MoneyField(required=False)
    regulatory_exposure = serializers.ChoiceField(choices=ExposureLevel.choices, required=False)
    regulatory_notes = serializers.CharField(required=False, allow_blank=True)
    customer_experience = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs) <= 1:  # only the reason
            raise serializers.ValidationError("Give at least one impact figure to change.")
        return attrs


# Detection and declaration are recorded by declaring the incident, not as milestones.
MILESTONE_PHASES = [(p.value, p.label) for p in Phase if p not in (Phase.DETECTED, Phase.DECLARED)]


class MilestoneInSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=MILESTONE_PHASES)
    indicator = serializers.CharField(max_length=300)
    reached_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Default now; not before the incident was detected.",
    )


class RoleAssignInSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    user = UsernameField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RoleReleaseInSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
