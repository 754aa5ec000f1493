"""The debrief of a drill: what was replayed, scored against the scenario's targets.

Every duration is in drill minutes (wall duration × the drill's clock
factor), taken from learning.communication_metrics so a drill is measured exactly like a
real incident:

* cadence kept: Σ met / Σ decided deadlines over all audiences (metrics
  slots), in percent; passes at or above the target. No decided deadline:
  nothing was owed, so it passes with "n/a".
* time to containment: detected → "contained" milestone; passes at or
  under the target; not contained: fails.
* time to decision: the median of request → settling decision times;
  passes at or under the target; an injected request left unsettled fails
  it whatever the median.
* milestones: each expected phase reached within its target minutes.
* missed deadlines: every deadline with outcome "missed": audience, when it
  was due (drill minute) and how late the update came (or "never").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from comms.models import Deadline
from incidents.choices import Audience, Phase
from incidents.models import Milestone
from learning import communication_metrics as metrics
from learning.models import Drill


def _minutes(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 2)


def compute(drill: Drill, *, now: datetime) -> dict[str, Any]:
    """Return the debrief as JSON-ready data (stored on Drill.debrief)."""
    incident = drill.incident
    factor = drill.clock_factor
    targets = drill.scenario_data["targets"]
    m = metrics.for_incident(incident)

    def drill_minute(at: datetime) -> float:
        return round(((at - drill.started_at) * factor).total_seconds() / 60, 2)

    met = sum(v[0] for v in m.slots.values())
    decided = sum(v[1] for v in m.slots.values())
    kept = round(100 * met / decided, 1) if decided else None
    ttc = _minutes(m.time_to_containment)
    ttd = _minutes(m.time_to_decision)
    scores = [
        {
            "key": "cadence_kept",
            "label": "Cadence kept",
            "unit": "%",
            "target": targets["cadence_kept_percent"],
            "actual": kept,
            "detail": f"{met} of {decided} update slots met",
            "passed": kept is None or kept >= targets["cadence_kept_percent"],
        },
        {
            "key": "time_to_containment",
            "label": "Time to containment",
            "unit": "min",
            "target": targets["time_to_containment_minutes"],
            "actual": ttc,
            "detail": "not contained" if ttc is None else "detected → contained",
            "passed": ttc is not None and ttc <= targets["time_to_containment_minutes"],
        },
        {
            "key": "time_to_decision",
            "label": "Time to decision",
            "unit": "min",
            "target": targets["time_to_decision_minutes"],
            "actual": ttd,
            "detail": f"median of {len(m.decision_times)} settled request(s); {m.open_decisions} left open",
            "passed": ttd is not None
            and m.open_decisions == 0
            and ttd <= targets["time_to_decision_minutes"],
        },
    ]

    reached = dict(Milestone.objects.filter(incident=incident).values_list("phase", "reached_at"))
    milestones = []
    for expected in drill.scenario_data.get("milestones", []):
        at = reached.get(expected["phase"])
        actual = _minutes((at - incident.detected_at) * factor) if at else None
        milestones.append(
            {
                "phase": expected["phase"],
                "label": Phase(expected["phase"]).label,
                "target_minutes": expected["target_minutes"],
                "actual_minutes": actual,
                "passed": actual is not None and actual <= expected["target_minutes"],
            }
        )

    missed = []
    for d in Deadline.objects.filter(incident=incident, outcome=Deadline.Outcome.MISSED).order_by(
        "due_at", "pk"
    ):
        late = _minutes((d.fulfilled_at - d.due_at) * factor) if d.fulfilled_at else None
        missed.append(
            {
                "audience": d.audience,
                "audience_label": Audience(d.audience).label,
                "due_at": d.due_at.isoformat(),
                "due_minute": drill_minute(d.due_at),
                "late_minutes": late,
                "published": d.fulfilled_at is not None,
                "reminded": d.reminded_at is not None,
                "escalated": d.escalated_at is not None,
            }
        )

    steps = list(drill.steps.values_list("kind", "applied_at"))
    return {
        "computed_at": now.isoformat(),
        "status": drill.status,
        "clock_factor": factor,
        "drill_minutes": _minutes((min(now, drill.finished_at or now) - drill.started_at) * factor),
        "passed": all(s["passed"] for s in scores),
        "scores": scores,
        "milestones": milestones,
        "missed_deadlines": missed,
        "decision_minutes": [_minutes(t) for t in m.decision_times],
        "open_decisions": m.open_decisions,
        "slots": {a: {"met": v[0], "decided": v[1]} for a, v in m.slots.items()},
        "reminders": m.reminders,
        "escalations": m.escalations,
        "time_to_first_update": _minutes(m.time_to_first_update),
        "replayed": {
            "steps": len(steps),
            "applied": sum(1 for _, at in steps if at is not None),
            "events": sum(1 for kind, at in steps if kind == "event" and at is not None),
            "metric_points": sum(1 for kind, at in steps if kind == "metric" and at is not None),
        },
    }
