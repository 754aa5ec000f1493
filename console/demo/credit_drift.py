"""The demo's credit risk model drifting after an upstream schema change."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from comms import workflows
from console.demo.base import Demo
from incidents import decisions
from incidents.choices import DecisionType, ExposureLevel, Phase, ReferenceKind, Role

TITLE = "Credit risk model drift after upstream schema change"


def build(demo: Demo, title: str) -> None:
    u, now = demo.users, timezone.now()
    ic = u["conor"]
    incident = workflows.declare_incident(
        by=ic,
        title=title,
        severity=2,
        scope="New personal-loan applications scored since 14:00 UTC yesterday; existing limits unaffected.",
        summary="An upstream schema change sends income in cents; PSI on income is 0.38 and approvals fell 9 points.",
        models=[(demo.models["credit-risk"], "")],
        customers_affected=640,
        revenue_at_risk_per_hour="11200",
        regulatory_exposure=ExposureLevel.HIGH,
        customer_experience="Creditworthy applicants declined or offered lower limits.",
        detected_at=now - timedelta(hours=19),
        detection_indicator="PSI(income) 0.31 > 0.25 alert",
    )
    demo.staff(
        incident,
        ic,
        {Role.DATA_SCIENCE: "dana", Role.ENGINEERING: "sam", Role.REGULATOR: "ruth"},
    )
    decisions.record_decision(
        incident=incident,
        by=u["dana"],
        decision_type=DecisionType.ADJUST_THRESHOLD,
        decision="Route applications with income above 1,000,000 to manual review.",
        rationale="Cents-scaled incomes are 100× too high; manual review catches them until the fix ships.",
        options_considered=["Disable the model", "Manual review of outliers"],
        reversible=True,
    )
    workflows.reach_milestone(
        incident=incident,
        phase=Phase.CONTAINED,
        by=ic,
        indicator="No application with income > 1,000,000 auto-scored for 1 h",
        reached_at=now - timedelta(hours=16),
    )
    workflows.reach_milestone(
        incident=incident,
        phase=Phase.ROOT_CAUSE_IDENTIFIED,
        by=u["dana"],
        indicator="Income feature ×100 traced to the billing-service schema v7 release",
        reached_at=now - timedelta(hours=9),
    )
    decisions.add_reference(
        incident=incident,
        by=u["sam"],
        ref_kind=ReferenceKind.TICKET,
        ref="DATA-4821",
        text="Schema fix tracked in DATA-4821",
    )
    decisions.request_decision(
        incident=incident,
        by=u["ruth"],
        decision_type=DecisionType.REGULATOR_DISCLOSURE,
        question="Do we notify the credit regulator of 640 mis-scored applications?",
    )
