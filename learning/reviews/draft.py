"""The generated draft: the record a review starts from, read from the log, milestones, deadlines and metrics."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Avg
from django.db.models.functions import Trunc
from django.utils import timezone

from comms.models import Deadline, StatusUpdate
from incidents.choices import Audience, DecisionType, EntryKind, Phase
from incidents.decision_log.chain import actor_label_for
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import ImpactRule, Incident, MetricPoint


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _timeline(entries: list[DecisionLogEntry]) -> list[dict[str, Any]]:
    return [
        {
            "sequence": e.sequence,
            "at": _iso(e.recorded_at),
            "kind": e.kind,
            "kind_label": EntryKind(e.kind).label,
            "actor": e.actor_label,
            "role": e.actor_role,
            "summary": e.summary,
        }
        for e in entries
    ]


def _decisions(entries: list[DecisionLogEntry]) -> list[dict[str, Any]]:
    out = []
    for e in entries:
        if e.kind != EntryKind.DECISION:
            continue
        d = e.data or {}
        kind = d.get("decision_type", "")
        out.append(
            {
                "sequence": e.sequence,
                "at": _iso(e.recorded_at),
                "decision_type": kind,
                "decision_type_label": DecisionType(kind).label
                if kind in DecisionType.values
                else kind,
                "decision": d.get("decision", e.summary),
                "rationale": d.get("rationale", ""),
                "options_considered": d.get("options_considered", []),
                "taken_by": e.actor_label,
                "role": e.actor_role,
                "approved_by": d.get("approved_by"),
                "reversible": d.get("reversible"),
            }
        )
    return out


def _milestones(incident: Incident) -> list[dict[str, Any]]:
    return [
        {
            "phase": m.phase,
            "phase_label": Phase(m.phase).label,
            "reached_at": _iso(m.reached_at),
            "indicator": m.indicator,
            "recorded_by": actor_label_for(m.recorded_by, "system"),
        }
        for m in incident.milestones.select_related("recorded_by").order_by("reached_at")
    ]


def _cadence(incident: Incident) -> list[dict[str, Any]]:
    """The cadence record per audience: each slot met, missed, open or cancelled."""
    slots: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in (
        Deadline.objects.filter(incident=incident)
        .select_related("fulfilled_by")
        .order_by("audience", "due_at")
    ):
        outcome = d.outcome or ("cancelled" if d.cancelled_at else "open")
        slots[d.audience].append(
            {
                "due_at": _iso(d.due_at),
                "outcome": outcome,
                "fulfilled_at": _iso(d.fulfilled_at),
                "update": d.fulfilled_by.number if d.fulfilled_by else None,
                "reminded": d.reminded_at is not None,
                "escalated": d.escalated_at is not None,
                "snoozed": d.snoozed_at is not None,
                "cadence_minutes": d.cadence_minutes,
            }
        )
    return [
        {
            "audience": a,
            "label": Audience(a).label,
            "met": sum(s["outcome"] == "met" for s in slots[a]),
            "missed": sum(s["outcome"] == "missed" for s in slots[a]),
            "slots": slots[a],
        }
        for a in Audience.values
        if slots.get(a)
    ]


def _impact(incident: Incident) -> dict[str, Any]:
    """Impact over time: the models' impact rules applied to hourly metric averages."""
    rules = list(
        ImpactRule.objects.filter(model__incidents=incident)
        .select_related("model")
        .distinct()
        .order_by("model__name", "metric")
    )
    end = incident.resolved_at or timezone.now()
    hours: dict[datetime, dict[int, Any]] = defaultdict(dict)
    if rules:
        rows = (
            MetricPoint.objects.filter(
                model_id__in={r.model_id for r in rules},
                metric__in={r.metric for r in rules},
                is_drill=incident.is_drill,
                timestamp__gte=incident.detected_at,
                timestamp__lte=end,
            )
            .annotate(hour=Trunc("timestamp", "hour", tzinfo=UTC))
            .values("model_id", "metric", "hour")
            .annotate(avg=Avg("value"))
            .order_by("hour")
        )
        by_key = {(r.model_id, r.metric): i for i, r in enumerate(rules)}
        for row in rows:
            index = by_key.get((row["model_id"], row["metric"]))
            if index is not None:
                hours[row["hour"]][index] = rules[index].evaluate(row["avg"])
    points = []
    for hour in sorted(hours):
        customers = sum(e.customers_per_hour for e in hours[hour].values())
        revenue = sum((e.revenue_per_hour for e in hours[hour].values()), Decimal("0"))
        points.append(
            {
                "at": _iso(hour),
                "customers_per_hour": round(customers, 1),
                "revenue_per_hour": str(revenue),
            }
        )
    peak = max(points, key=lambda p: p["customers_per_hour"], default=None)
    return {
        "rules": [
            {"model": r.model.name, "metric": r.metric, "unit_label": r.unit_label} for r in rules
        ],
        "hourly": points,
        "peak_customers_per_hour": peak["customers_per_hour"] if peak else 0.0,
        "peak_revenue_per_hour": max(
            (Decimal(p["revenue_per_hour"]) for p in points), default=Decimal("0")
        ).__str__(),
    }


def generate(incident: Incident) -> dict[str, Any]:
    """Return what the console knows of the incident, as the review's generated record."""
    entries = list(DecisionLogEntry.objects.filter(incident=incident).order_by("sequence"))
    minutes = None
    if incident.resolved_at:
        minutes = int((incident.resolved_at - incident.detected_at).total_seconds() // 60)
    updates = StatusUpdate.objects.filter(
        incident=incident, status=StatusUpdate.Status.PUBLISHED
    ).order_by("number")
    return {
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "severity": incident.severity,
            "severity_label": incident.severity_label,
            "scope": incident.scope,
            "summary": incident.summary,
            "detected_at": _iso(incident.detected_at),
            "declared_at": _iso(incident.declared_at),
            "resolved_at": _iso(incident.resolved_at),
            "duration_minutes": minutes,
            "customers_affected": incident.customers_affected,
            "revenue_at_risk_per_hour": str(incident.revenue_at_risk_per_hour),
            "regulatory_exposure": incident.regulatory_exposure,
            "is_drill": incident.is_drill,
            "models": [
                {"name": link.model.name, "version": link.version}
                for link in incident.affected_links.select_related("model").order_by("model__name")
            ],
        },
        "timeline": _timeline(entries),
        "decisions": _decisions(entries),
        "milestones": _milestones(incident),
        "cadence": _cadence(incident),
        "impact": _impact(incident),
        "updates": [
            {
                "number": u.number,
                "published_at": _iso(u.published_at),
                "what_changed": u.what_changed,
            }
            for u in updates
        ],
    }
