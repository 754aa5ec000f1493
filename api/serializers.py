"""Parse API input and render API output; no domain rules live here.

Input serializers only check shape and types and resolve references
(usernames, model slugs, log sequences) to rows; the services decide.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.schema import AtLeastOne
from glossary.models import VERSIONED_FIELDS, Term, TermVersion
from incidents.choices import (
    DecisionType,
    EntryKind,
    ExposureLevel,
    Phase,
    ReferenceKind,
    Role,
    Severity,
)
from incidents.decision_log.checkpoints import STATUSES
from incidents.decision_log.models import DecisionLogEntry
from incidents.health_metrics import MAX_POINTS_PER_REQUEST
from incidents.models import (
    ImpactRule,
    Incident,
    MetricPoint,
    Milestone,
    MonitoredModel,
    Playbook,
    RoleAssignment,
)

User = get_user_model()

# \A … \Z, not ^ … $: "$" would accept a trailing newline.
METRIC_NAME = re.compile(r"\A[a-z][a-z0-9_.]{0,63}\Z")
METRIC_NAME_MESSAGE = (
    "Metric names are lowercase letters, digits, '_' and '.', starting with a letter (max 64)."
)


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


# --- Output: incidents ------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


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
        for assignment in incident.active_roles:
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


# --- The decision log --------------------------------------------------------------------


class LogEntrySerializer(serializers.ModelSerializer):
    """One log entry; expects `corrects` select_related."""

    corrects = serializers.IntegerField(source="corrects.sequence", allow_null=True, default=None)

    class Meta:
        model = DecisionLogEntry
        fields = [
            "sequence",
            "kind",
            "recorded_at",
            "actor_label",
            "actor_role",
            "summary",
            "data",
            "corrects",
            "prev_hash",
            "hash",
        ]


class LogSequenceField(serializers.IntegerField):
    """A log entry of the incident in the serializer context, named by sequence."""

    default_error_messages = {"missing": "No log entry {sequence} in this incident."}

    def to_internal_value(self, data: Any) -> DecisionLogEntry:
        # No min_value validator: validators would see the entry, not the number.
        sequence = super().to_internal_value(data)
        entry = None
        if 1 <= sequence <= 2_147_483_647:
            entry = DecisionLogEntry.objects.filter(
                incident=self.context["incident"], sequence=sequence
            ).first()
        if entry is None:
            self.fail("missing", sequence=sequence)
        return entry


WRITABLE_KINDS = [
    EntryKind.NOTE,
    EntryKind.ACTION,
    EntryKind.REFERENCE,
    EntryKind.DECISION,
    EntryKind.DECISION_REQUEST,
    EntryKind.CORRECTION,
]


class LogKindSerializer(serializers.Serializer):
    # The full vocabulary keeps one "kind" enum in the schema; other kinds
    # are written by the action they record (severity, roles, milestones).
    kind = serializers.ChoiceField(
        choices=EntryKind.choices, help_text=f"One of {', '.join(WRITABLE_KINDS)}."
    )

    def validate_kind(self, value: str) -> str:
        if value not in WRITABLE_KINDS:
            raise serializers.ValidationError(
                f"Append one of {', '.join(WRITABLE_KINDS)}; {value} entries come from their own endpoints."
            )
        return value


def _kinds(*kinds: EntryKind) -> serializers.ChoiceField:
    """The `kind` of one body shape: the schema's oneOf tells the shapes apart by it."""
    return serializers.ChoiceField(choices=[(k.value, k.label) for k in kinds])


class NoteInSerializer(LogKindSerializer):
    """A note or an action taken."""

    kind = _kinds(EntryKind.NOTE, EntryKind.ACTION)
    text = serializers.CharField()


class ReferenceInSerializer(LogKindSerializer):
    kind = _kinds(EntryKind.REFERENCE)
    ref_kind = serializers.ChoiceField(choices=ReferenceKind.choices)
    ref = serializers.CharField(max_length=500)
    text = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionInSerializer(LogKindSerializer):
    kind = _kinds(EntryKind.DECISION)
    decision_type = serializers.ChoiceField(choices=DecisionType.choices)
    decision = serializers.CharField()
    rationale = serializers.CharField()
    options_considered = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list, max_length=50
    )
    reversible = serializers.BooleanField(required=False, default=True)
    approved_by = UsernameField(required=False, allow_null=True, default=None)
    settles = LogSequenceField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Sequence of the decision request this settles.",
    )


class DecisionRequestInSerializer(LogKindSerializer):
    kind = _kinds(EntryKind.DECISION_REQUEST)
    decision_type = serializers.ChoiceField(choices=DecisionType.choices)
    question = serializers.CharField()
    needed_by = AwareDateTimeField(required=False, allow_null=True, default=None)


class CorrectionInSerializer(LogKindSerializer):
    kind = _kinds(EntryKind.CORRECTION)
    corrects = LogSequenceField(help_text="Sequence of the entry this corrects.")
    text = serializers.CharField()


# Which input serializer parses which kind of entry.
LOG_ENTRY_INPUTS: dict[str, type[LogKindSerializer]] = {
    EntryKind.NOTE: NoteInSerializer,
    EntryKind.ACTION: NoteInSerializer,
    EntryKind.REFERENCE: ReferenceInSerializer,
    EntryKind.DECISION: DecisionInSerializer,
    EntryKind.DECISION_REQUEST: DecisionRequestInSerializer,
    EntryKind.CORRECTION: CorrectionInSerializer,
}


class ChainBreakSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    id = serializers.IntegerField()
    reason = serializers.CharField()


class CheckpointMatchSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1 for the incident's first checkpoint, and so on.")
    sequence = serializers.IntegerField(help_text="Position of the signed head entry.")
    signed_at = serializers.DateTimeField()
    key_id = serializers.CharField(help_text="Fingerprint of the public key that signed it.")
    valid = serializers.BooleanField(
        help_text="Signature verifies and the chain still has the signed hash there."
    )


class ChainReportSerializer(serializers.Serializer):
    incident = serializers.IntegerField(source="incident_id")
    valid = serializers.BooleanField(help_text="True only for status intact or unsigned.")
    status = serializers.ChoiceField(
        choices=STATUSES,
        help_text="intact: matches its signed checkpoints; unsigned: consistent, no checkpoint to check; "
        "broken: a link is broken; rewritten: recomputed after a checkpoint; bad_signature: a checkpoint is forged.",
    )
    detail = serializers.CharField()
    entries = serializers.IntegerField()
    first_broken = ChainBreakSerializer(allow_null=True)
    head = serializers.CharField()
    checkpoint = CheckpointMatchSerializer(
        allow_null=True,
        help_text="The latest checkpoint the chain matches, or the first one it fails; null if none.",
    )


# --- Models and metrics ---------------------------------------------------------------------


class ImpactRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImpactRule
        fields = [
            "metric",
            "direction",
            "baseline",
            "step",
            "customers_per_step",
            "revenue_per_step",
            "unit_label",
            "description",
        ]


class MonitoredModelSerializer(serializers.ModelSerializer):
    """A watched model; expects impact_rules prefetched."""

    impact_rules = ImpactRuleSerializer(many=True)

    class Meta:
        model = MonitoredModel
        fields = [
            "slug",
            "name",
            "team",
            "business_function",
            "risk_tier",
            "current_version",
            "description",
            "is_active",
            "impact_rules",
        ]


class MetricPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricPoint
        fields = ["metric", "timestamp", "value", "is_drill"]


class MetricPointInSerializer(serializers.Serializer):
    metric = serializers.RegexField(
        METRIC_NAME,
        max_length=64,
        trim_whitespace=False,
        error_messages={"invalid": METRIC_NAME_MESSAGE},
    )
    timestamp = AwareDateTimeField()
    value = StrictFloatField()  # DRF refuses NaN and ±infinity


class MetricBatchSerializer(serializers.Serializer):
    points = MetricPointInSerializer(
        many=True, allow_empty=False, max_length=MAX_POINTS_PER_REQUEST
    )
    is_drill = serializers.BooleanField(
        required=False, default=False, help_text="Drill replays; kept apart from real data."
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Refuse an oversized batch before validating 10 000 points one by one.
        points = data.get("points") if isinstance(data, dict) else None
        if isinstance(points, list) and len(points) > MAX_POINTS_PER_REQUEST:
            raise serializers.ValidationError(
                {
                    "points": [
                        f"At most {MAX_POINTS_PER_REQUEST} points per request; got {len(points)}."
                    ]
                }
            )
        return super().to_internal_value(data)


class MetricBatchResultSerializer(serializers.Serializer):
    model = serializers.CharField()
    received = serializers.IntegerField()
    stored = serializers.IntegerField(
        help_text="Distinct (metric, timestamp) points written or overwritten."
    )


class MetricFilterSerializer(serializers.Serializer):
    metric = serializers.RegexField(
        METRIC_NAME, max_length=64, required=False, error_messages={"invalid": METRIC_NAME_MESSAGE}
    )
    since = AwareDateTimeField(required=False)
    until = AwareDateTimeField(required=False)
    is_drill = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["until must not be before since."]})
        return attrs


# --- Playbooks -----------------------------------------------------------------------------------


class PlaybookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Playbook
        fields = [
            "id",
            "name",
            "severity",
            "risk_tier",
            "cadence_minutes",
            "escalation_grace_minutes",
            "escalation_path",
            "notification_thresholds",
            "decision_rights",
            "approvals",
            "four_eyes_regulator",
            "is_active",
        ]


# --- Glossary --------------------------------------------------------------------------------------


class TermVersionSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)

    class Meta:
        model = TermVersion
        fields = [
            "version",
            "name",
            "variants",
            "technical_definition",
            "plain_definition",
            "examples",
            "is_technical",
            "changed_by",
            "changed_at",
            "change_note",
        ]


class TermVersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = TermVersion
        fields = ["version", "changed_at", "change_note"]


class TermSerializer(serializers.ModelSerializer):
    """A term in a list; expects `related` prefetched."""

    related = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Term
        fields = [
            "slug",
            "name",
            "variants",
            "technical_definition",
            "plain_definition",
            "examples",
            "is_technical",
            "related",
            "version",
            "updated_at",
        ]


class TermDetailSerializer(TermSerializer):
    """A term with its history; expects `versions` prefetched."""

    versions = TermVersionRefSerializer(many=True)

    class Meta(TermSerializer.Meta):
        fields = [*TermSerializer.Meta.fields, "versions"]


@extend_schema_field({"type": "string", "maxLength": 80, "pattern": "[A-Za-z0-9]"})
class TermNameField(serializers.CharField):
    """A term's name: its slug is made from it, so it needs a letter or digit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=80, **kwargs)


class TermCreateSerializer(serializers.Serializer):
    name = TermNameField()
    technical_definition = serializers.CharField()
    plain_definition = serializers.CharField()
    variants = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, default=list
    )
    examples = serializers.CharField(required=False, allow_blank=True, default="")
    is_technical = serializers.BooleanField(required=False, default=True)
    related = LookupField(
        slug_field="slug", queryset=Term.objects.all(), many=True, required=False, default=list
    )


class TermReviseSerializer(AtLeastOne, serializers.Serializer):
    """Give only the fields that change; `note` says why."""

    at_least_one_of = tuple(VERSIONED_FIELDS)

    name = TermNameField(required=False)
    technical_definition = serializers.CharField(required=False)
    plain_definition = serializers.CharField(required=False)
    variants = serializers.ListField(child=serializers.CharField(max_length=80), required=False)
    examples = serializers.CharField(required=False, allow_blank=True)
    is_technical = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not set(attrs) & set(VERSIONED_FIELDS):
            raise serializers.ValidationError("Give at least one field to revise.")
        return attrs


class TermSearchSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Search names, spellings and definitions.",
    )
