"""The demo's resolved incident: a recommendations latency spike at checkout (its review is seeded later)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from comms import workflows
from console.demo.base import Demo
from incidents import decisions
from incidents.choices import DecisionType, Phase, Role

TITLE = "Recommendations p95 latency spike at checkout"


def build(demo: Demo, title: str) -> None:
    u, now = demo.users, timezone.now()
    ic = u["commander"]
    incident = workflows.declare_incident(
        by=ic,
        title=title,
        severity=3,
        scope="Recommendations on checkout and home pages; checkout itself keeps working.",
        summary="p95 latency rose to 900 ms after a cache node failed; the page waits for recommendations.",
        models=[(demo.models["recommendations"], "r-318")],
        customers_affected=180,
        revenue_at_risk_per_hour="5800",
        customer_experience="Slow checkout pages; some customers abandon their basket.",
        detected_at=now - timedelta(days=2, hours=3),
        detection_indicator="p95 latency 640 ms > 300 ms SLO",
    )
    demo.staff(incident, ic, {Role.ENGINEERING: "sam", Role.SCRIBE: "responder"})
    decisions.record_decision(
        incident=incident,
        by=u["sam"],
        decision_type=DecisionType.DISABLE_MODEL,
        decision="Serve cached best-sellers instead of live recommendations until the cache recovers.",
        rationale="Checkout speed matters more than personalisation for a few hours.",
        options_considered=["Scale the cache", "Serve best-sellers"],
        reversible=True,
    )
    note = decisions.add_note(
        incident=incident, by=u["responder"], text="Cache node cache-3 restarted at 10:40 UTC."
    )
    decisions.correct_entry(
        incident=incident,
        entry=note,
        by=u["responder"],
        text="Correction: cache-3 restarted at 11:40 UTC, not 10:40.",
    )
    for phase, indicator, who, ago in (
        (
            Phase.CONTAINED,
            "p95 latency < 300 ms for 30 min on best-sellers",
            "sam",
            timedelta(days=2, hours=2),
        ),
        (
            Phase.ROOT_CAUSE_IDENTIFIED,
            "Cache node cache-3 out of memory after eviction policy change",
            "sam",
            timedelta(days=1, hours=22),
        ),
        (
            Phase.RECOVERED,
            "Live recommendations back; p95 210 ms for 1 h",
            "sam",
            timedelta(days=1, hours=20),
        ),
        (
            Phase.RESOLVED,
            "No latency alert for 24 h; eviction policy reverted",
            "commander",
            timedelta(hours=20),
        ),
    ):
        workflows.reach_milestone(
            incident=incident, phase=phase, indicator=indicator, by=u[who], reached_at=now - ago
        )
