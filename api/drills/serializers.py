"""Parse and render the drills API: scenarios, drills with their steps, debriefs, improvements.

Input serializers check shape and types; learning.drills decides (scenario
known, factor bounds, who may start or end). Output fields named "kind" or
"status" are plain strings with their values in the help text, so the
OpenAPI enums stay unambiguous.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from api.fields import AwareDateTimeField, UsernameField
from learning.drills import library, runs
from learning.models import ActionItem, Drill, DrillStep

# --- Scenarios --------------------------------------------------------------------------------


class ScenarioModelSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    team = serializers.CharField()
    business_function = serializers.CharField()
    risk_tier = serializers.IntegerField()


class ScenarioTraceSerializer(serializers.Serializer):
    metric = serializers.CharField()
    unit = serializers.CharField(required=False)
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        help_text="[drill minute, value] pairs.",
    )


class ScenarioEventSerializer(serializers.Serializer):
    at_minutes = serializers.FloatField(help_text="Drill minutes after the start.")
    kind = serializers.CharField(help_text="decision_request, question or note.")
    stakeholder = serializers.CharField(source="from", help_text='Who asks, e.g. "executive".')
    text = serializers.CharField()
    decision_type = serializers.CharField(required=False, help_text="For decision requests.")


class ScenarioMilestoneSerializer(serializers.Serializer):
    phase = serializers.CharField(help_text="contained, root_cause_identified or recovered.")
    target_minutes = serializers.FloatField()


class ScenarioTargetsSerializer(serializers.Serializer):
    time_to_containment_minutes = serializers.FloatField()
    time_to_decision_minutes = serializers.FloatField()
    cadence_kept_percent = serializers.FloatField()


class ScenarioSerializer(serializers.Serializer):
    """One scenario of the library (learning/scenarios/*.json)."""

    slug = serializers.CharField()
    title = serializers.CharField()
    version = serializers.CharField()
    description = serializers.CharField()
    digest = serializers.CharField(help_text="SHA-256 of the scenario file.")
    severity = serializers.IntegerField(source="data.severity")
    duration_minutes = serializers.FloatField(
        source="data.duration_minutes", help_text="Drill minutes."
    )
    model = ScenarioModelSerializer(source="data.model")
    traces = ScenarioTraceSerializer(source="data.traces", many=True)
    events = ScenarioEventSerializer(source="data.events", many=True)
    milestones = ScenarioMilestoneSerializer(source="data.milestones", many=True)
    targets = ScenarioTargetsSerializer(source="data.targets")


# --- Drills -----------------------------------------------------------------------------------


class DrillStartSerializer(serializers.Serializer):
    scenario = serializers.ChoiceField(
        choices=(), help_text="Slug of a scenario (GET drills/scenarios/)."
    )
    clock_factor = serializers.IntegerField(
        min_value=runs.MIN_FACTOR,
        max_value=runs.MAX_FACTOR,
        help_text="Drill minutes per wall minute (60: a 30-minute scenario runs in 30 s).",
    )
    suppress_external = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Send nothing to external channels (else drill subscribers get messages marked as drills).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The library as it is now, so the schema's enum lists the scenario files present.
        self.fields["scenario"].choices = list(library.scenarios())  # type: ignore[attr-defined]


class DrillStepSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="metric, event or end.")
    offset_minutes = serializers.SerializerMethodField(help_text="Drill minutes after the start.")
    data = serializers.DictField(  # type: ignore[assignment]  # the field shadows Serializer.data
        help_text="metric: {metric, value}; event: the scenario's event."
    )

    class Meta:
        model = DrillStep
        fields = ["index", "kind", "offset_minutes", "due_at", "applied_at", "data"]

    def get_offset_minutes(self, step: DrillStep) -> float:
        return round(step.offset_seconds / 60, 4)


class DrillSerializer(serializers.ModelSerializer):
    """A drill in a list: expects incident and started_by selected and the step counts annotated."""

    status = serializers.CharField(help_text="running, completed or aborted.")
    incident = serializers.IntegerField(source="incident_id")
    incident_reference = serializers.CharField(source="incident.reference")
    started_by = serializers.CharField(source="started_by.username", allow_null=True, default=None)
    steps_total = serializers.IntegerField()
    steps_applied = serializers.IntegerField()
    drill_minutes = serializers.SerializerMethodField(
        help_text="The drill clock now (frozen once it ended)."
    )

    class Meta:
        model = Drill
        fields = [
            "id",
            "scenario",
            "scenario_title",
            "scenario_digest",
            "clock_factor",
            "suppress_external",
            "status",
            "incident",
            "incident_reference",
            "started_at",
            "started_by",
            "finished_at",
            "debriefed_at",
            "steps_total",
            "steps_applied",
            "drill_minutes",
        ]

    def get_drill_minutes(self, drill: Drill) -> float:
        return round(runs.drill_now(drill, timezone.now()).total_seconds() / 60, 2)


class DrillDetailSerializer(DrillSerializer):
    """A drill with its steps (prefetched) and the scenario's targets as replayed."""

    steps = DrillStepSerializer(many=True)
    targets = ScenarioTargetsSerializer(source="scenario_data.targets")

    class Meta(DrillSerializer.Meta):
        fields = [*DrillSerializer.Meta.fields, "targets", "steps"]


# --- Improvements ----------------------------------------------------------------------------


class ImprovementInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner = UsernameField(help_text="Username of the owner.")
    due_at = AwareDateTimeField()
    expected_outcome = serializers.CharField(max_length=5000)
    category = serializers.ChoiceField(choices=ActionItem.Category.choices)


class ImprovementSerializer(serializers.ModelSerializer):
    """An action item from the debrief; expects owner selected."""

    owner = serializers.CharField(source="owner.username")
    status = serializers.CharField(help_text="open, in_progress, done or cancelled.")
    category = serializers.CharField(help_text="data_engineering, monitoring or governance.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "owner",
            "due_at",
            "expected_outcome",
            "category",
            "status",
            "created_at",
        ]


# --- Debrief ---------------------------------------------------------------------------------


class ScoreSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="cadence_kept, time_to_containment or time_to_decision.")
    label = serializers.CharField()  # type: ignore[assignment]  # the field shadows a Serializer attribute
    unit = serializers.CharField()
    target = serializers.FloatField()
    actual = serializers.FloatField(allow_null=True)
    detail = serializers.CharField()
    passed = serializers.BooleanField()


class MilestoneScoreSerializer(serializers.Serializer):
    phase = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field shadows a Serializer attribute
    target_minutes = serializers.FloatField()
    actual_minutes = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField()


class MissedDeadlineSerializer(serializers.Serializer):
    audience = serializers.CharField()
    audience_label = serializers.CharField()
    due_at = serializers.DateTimeField()
    due_minute = serializers.FloatField(help_text="Drill minute it was due.")
    late_minutes = serializers.FloatField(
        allow_null=True, help_text="Drill minutes late; null: never published."
    )
    published = serializers.BooleanField()
    reminded = serializers.BooleanField()
    escalated = serializers.BooleanField()


class SlotSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    decided = serializers.IntegerField()


class ReplayedSerializer(serializers.Serializer):
    steps = serializers.IntegerField()
    applied = serializers.IntegerField()
    events = serializers.IntegerField()
    metric_points = serializers.IntegerField()


class DebriefSerializer(serializers.Serializer):
    """Scores against the scenario's targets; durations in drill minutes."""

    drill = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    status = serializers.CharField(help_text="completed or aborted.")
    clock_factor = serializers.IntegerField()
    drill_minutes = serializers.FloatField()
    passed = serializers.BooleanField()
    scores = ScoreSerializer(many=True)
    milestones = MilestoneScoreSerializer(many=True)
    missed_deadlines = MissedDeadlineSerializer(many=True)
    decision_minutes = serializers.ListField(child=serializers.FloatField())
    open_decisions = serializers.IntegerField()
    slots = serializers.DictField(child=SlotSerializer())
    reminders = serializers.IntegerField()
    escalations = serializers.IntegerField()
    time_to_first_update = serializers.FloatField(allow_null=True)
    replayed = ReplayedSerializer()
    improvements = ImprovementSerializer(
        many=True, help_text="Action items recorded from this debrief."
    )
