"""The demo's credit risk model drifting after an upstream schema change."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from comms import workflows
from console.demo.base import Demo
from incidents import decisions
from incidents.choices import DecisionType, ExposureLevel, Phase, ReferenceKind, Role
from incidents.models import Incident
from regulatory import services as regulatory
from regulatory.models import Obligation

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
    regulatory_obligations(demo, incident, now=now)


def regulatory_obligations(demo: Demo, incident: Incident, *, now: datetime) -> None:
    """Ruth triages: the EU AI Act and DORA apply, GDPR does not; DORA's initial notification
    went in on time, so its intermediate report's clock runs (and the AI Act's 15 days)."""
    u = demo.users
    aware, classified = now - timedelta(hours=19), now - timedelta(hours=17)
    regulatory.record_moment(
        incident=incident,
        by=u["ruth"],
        name="became_aware",
        at=aware,
        now=now - timedelta(hours=18),
    )
    regulatory.record_moment(
        incident=incident,
        by=u["ruth"],
        name="classified_major",
        at=classified,
        note="Two criteria of Delegated Regulation 2024/1772 met: clients affected, reputational impact",
        now=now - timedelta(hours=17),
    )
    for regime, answers in (
        (
            "eu-ai-act-art73",
            {
                "high_risk": True,
                "serious_incident": True,
                "widespread_or_critical_infrastructure": False,
                "death": False,
            },
        ),
        ("dora-major-ict", {"financial_entity": True, "major": True}),
        ("gdpr-art33", {"personal_data_breach": False, "risk_to_individuals": False}),
    ):
        regulatory.triage(
            incident=incident,
            by=u["ruth"],
            regime=regime,
            answers=answers,
            now=now - timedelta(hours=17),
        )
    initial = Obligation.objects.get(
        incident=incident, regime="dora-major-ict", report="initial_notification"
    )
    regulatory.edit_report(
        obligation=initial,
        by=u["ruth"],
        fields={
            "classification": "Clients affected (640) and reputational impact",
            "continuity": "No",
        },
        now=now - timedelta(hours=15, minutes=30),
    )
    regulatory.sign_off_report(
        obligation=initial, by=u["conor"], now=now - timedelta(hours=15, minutes=10)
    )
    regulatory.submit_report(
        obligation=initial,
        by=u["ruth"],
        channel="Competent authority's incident reporting portal",
        authority_reference="ICT-2026-00417",
        submitted_at=now - timedelta(hours=15),
        now=now - timedelta(hours=15),
    )
