"""Communication metrics over the API: the query filters and the response, as the schema tells them.

The view builds plain dicts (`report_data`) and serializes them through these
classes, so the response is exactly what the OpenAPI schema describes.
Durations are numbers of seconds on the incident's own clock (wall time ×
clock factor: drills report drill time); null when there is no value yet.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rest_framework import serializers

from incidents.choices import Audience, Severity
from learning import communication_metrics as metrics

DRILL_CHOICES = [
    ("separate", "Real incidents and drills, reported apart"),
    ("exclude", "Real incidents only"),
    ("only", "Drills only"),
]
SLUG = r"^[-a-zA-Z0-9_]+$"
NO_RATINGS = (None, None, 0)
RATING_KEYS = ("audience", "clarity", "usefulness", "ratings")


class MetricsFilterSerializer(serializers.Serializer):
    """Query parameters; the same filters as the metrics page and its CSV."""

    date_from = serializers.DateField(
        required=False, help_text="Incidents declared on or after this day (UTC), YYYY-MM-DD."
    )
    date_to = serializers.DateField(
        required=False,
        help_text=(
            "Incidents declared on or before this day (UTC), YYYY-MM-DD. "
            "Before date_from: nothing matches."
        ),
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    model = serializers.RegexField(
        SLUG,
        max_length=80,
        required=False,
        help_text="Slug of an affected monitored model; unknown: 404 naming `model`.",
    )
    drills = serializers.ChoiceField(choices=DRILL_CHOICES, required=False, default="separate")

    def filters(self) -> metrics.Filters:
        data = self.validated_data
        return metrics.Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            severity=data.get("severity"),
            model=data.get("model"),
            drills=data.get("drills", "separate"),
        )


# --- The response ---------------------------------------------------------------------------------


class MetricsAppliedFiltersSerializer(serializers.Serializer):
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)
    severity = serializers.IntegerField(allow_null=True)
    model = serializers.CharField(allow_null=True)
    drills = serializers.ChoiceField(choices=DRILL_CHOICES)


class MetricsScheduleSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    met = serializers.IntegerField(help_text="Update slots (cadence deadlines) met on time.")
    slots = serializers.IntegerField(
        help_text="Decided slots: met or missed; open and cancelled-undecided left out."
    )
    percent = serializers.FloatField(
        allow_null=True, help_text="100 × met / slots; null without slots."
    )


class MetricsScheduleAllSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    slots = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class MetricsSatisfactionSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    clarity = serializers.FloatField(
        allow_null=True, help_text="Mean clarity rating, 1–5; null without ratings."
    )
    usefulness = serializers.FloatField(allow_null=True, help_text="Mean usefulness rating, 1–5.")
    ratings = serializers.IntegerField()


class MetricsSatisfactionAllSerializer(serializers.Serializer):
    clarity = serializers.FloatField(allow_null=True)
    usefulness = serializers.FloatField(allow_null=True)
    ratings = serializers.IntegerField()


class _Figures(serializers.Serializer):
    time_to_first_update_seconds = serializers.FloatField(
        allow_null=True, help_text="Detection → first published update (median for a group)."
    )
    time_to_containment_seconds = serializers.FloatField(
        allow_null=True, help_text='Detection → the "contained" milestone (median for a group).'
    )
    time_to_decision_seconds = serializers.FloatField(
        allow_null=True,
        help_text="Median of request → settling decision over the settled decision requests.",
    )
    decisions_settled = serializers.IntegerField()
    decisions_open = serializers.IntegerField(help_text="Decision requests not settled yet.")
    on_schedule = MetricsScheduleSerializer(
        many=True, help_text="Every audience, in a fixed order."
    )
    on_schedule_all = MetricsScheduleAllSerializer()
    satisfaction = MetricsSatisfactionSerializer(
        many=True, help_text="Every audience, in a fixed order."
    )
    satisfaction_all = MetricsSatisfactionAllSerializer()
    reminders = serializers.IntegerField()
    escalations = serializers.IntegerField()


class MetricsGroupSerializer(_Figures):
    key = serializers.CharField(
        help_text='"all"; a severity "1"–"4"; a model slug; or a month "YYYY-MM" (UTC).'
    )
    incidents = serializers.IntegerField()


class IncidentMetricsSerializer(_Figures):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.IntegerField()
    is_drill = serializers.BooleanField()
    clock_factor = serializers.IntegerField(help_text="Drill clock speed; 1 for real incidents.")
    detected_at = serializers.DateTimeField()
    declared_at = serializers.DateTimeField()
    month = serializers.CharField()
    models = serializers.ListField(
        child=serializers.CharField(), help_text="Slugs of the affected models."
    )
    decision_times_seconds = serializers.ListField(
        child=serializers.FloatField(), help_text="One per settled decision request, ascending."
    )


class RegulatoryDeadlinesSerializer(serializers.Serializer):
    regime = serializers.CharField(help_text="The regime's slug (regulatory/regimes/).")
    name = serializers.CharField()
    met = serializers.IntegerField(help_text="Reports submitted by their deadline.")
    missed = serializers.IntegerField(help_text="Reports submitted late, or not by the deadline.")
    decided = serializers.IntegerField(help_text="met + missed; running deadlines are left out.")
    percent = serializers.FloatField(allow_null=True, help_text="100 × met / decided.")


class MetricsSectionSerializer(serializers.Serializer):
    overall = MetricsGroupSerializer()
    by_severity = MetricsGroupSerializer(many=True)
    by_model = MetricsGroupSerializer(
        many=True, help_text="An incident counts for each model it affected."
    )
    by_month = MetricsGroupSerializer(many=True)
    incidents = IncidentMetricsSerializer(many=True, help_text="Oldest declaration first.")
    regulatory_deadlines = RegulatoryDeadlinesSerializer(
        many=True, help_text="Regulatory deadlines met, per regime (docs/metrics.md)."
    )


class CommunicationMetricsSerializer(serializers.Serializer):
    filters = MetricsAppliedFiltersSerializer()
    real = MetricsSectionSerializer(
        allow_null=True, help_text="Real incidents; null when drills=only."
    )
    drills = MetricsSectionSerializer(
        allow_null=True, help_text="Drill incidents, never in `real`; null when drills=exclude."
    )


# --- Building the data ---------------------------------------------------------------------


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _pct(met: int, total: int) -> float | None:
    return round(100 * met / total, 2) if total else None


def _figures(
    *,
    first: timedelta | None,
    containment: timedelta | None,
    decision: timedelta | None,
    settled: int,
    open_: int,
    slots: dict[str, tuple[int, int]],
    ratings: dict[str, tuple[float | None, float | None, int]],
    sums: dict[str, tuple[int, int, int]],
    reminders: int,
    escalations: int,
) -> dict[str, Any]:
    met = sum(v[0] for v in slots.values())
    total = sum(v[1] for v in slots.values())
    n = sum(v[2] for v in sums.values())
    return {
        "time_to_first_update_seconds": _seconds(first),
        "time_to_containment_seconds": _seconds(containment),
        "time_to_decision_seconds": _seconds(decision),
        "decisions_settled": settled,
        "decisions_open": open_,
        "on_schedule": [
            {
                "audience": a,
                "met": slots.get(a, (0, 0))[0],
                "slots": slots.get(a, (0, 0))[1],
                "percent": _pct(*slots.get(a, (0, 0))),
            }
            for a in metrics.AUDIENCES
        ],
        "on_schedule_all": {"met": met, "slots": total, "percent": _pct(met, total)},
        "satisfaction": [
            dict(zip(RATING_KEYS, (a, *ratings.get(a, NO_RATINGS)), strict=True))
            for a in metrics.AUDIENCES
        ],
        "satisfaction_all": {
            "clarity": sum(v[0] for v in sums.values()) / n if n else None,
            "usefulness": sum(v[1] for v in sums.values()) / n if n else None,
            "ratings": n,
        },
        "reminders": reminders,
        "escalations": escalations,
    }


def group_data(g: metrics.GroupMetrics) -> dict[str, Any]:
    return {"key": g.key, "incidents": g.incidents} | _figures(
        first=g.time_to_first_update,
        containment=g.time_to_containment,
        decision=g.time_to_decision,
        settled=g.decisions,
        open_=g.open_decisions,
        slots=g.slots,
        ratings=g.satisfaction,
        sums=g.rating_sums,
        reminders=g.reminders,
        escalations=g.escalations,
    )


def incident_data(m: metrics.IncidentMetrics) -> dict[str, Any]:
    return {
        "id": m.incident_id,
        "reference": m.reference,
        "title": m.title,
        "severity": m.severity,
        "is_drill": m.is_drill,
        "clock_factor": m.clock_factor,
        "detected_at": m.detected_at,
        "declared_at": m.declared_at,
        "month": m.month,
        "models": list(m.model_slugs),
        "decision_times_seconds": [t.total_seconds() for t in m.decision_times],
    } | _figures(
        first=m.time_to_first_update,
        containment=m.time_to_containment,
        decision=m.time_to_decision,
        settled=len(m.decision_times),
        open_=m.open_decisions,
        slots=m.slots,
        ratings=m.satisfaction,
        sums=m.rating_sums,
        reminders=m.reminders,
        escalations=m.escalations,
    )


def section_data(section: metrics.Section | None) -> dict[str, Any] | None:
    if section is None:
        return None
    agg = section.aggregates
    return {
        "overall": group_data(agg.overall),
        "by_severity": [group_data(g) for g in agg.by_severity],
        "by_model": [group_data(g) for g in agg.by_model],
        "by_month": [group_data(g) for g in agg.by_month],
        "incidents": [incident_data(m) for m in section.incidents],
        "regulatory_deadlines": [
            {
                "regime": r.regime,
                "name": r.name,
                "met": r.met,
                "missed": r.missed,
                "decided": r.decided,
                "percent": r.percent,
            }
            for r in section.regulatory
        ],
    }


def report_data(rep: metrics.Report) -> dict[str, Any]:
    f = rep.filters
    return {
        "filters": {
            "date_from": f.date_from,
            "date_to": f.date_to,
            "severity": f.severity,
            "model": f.model,
            "drills": f.drills,
        },
        "real": section_data(rep.real),
        "drills": section_data(rep.drills),
    }
