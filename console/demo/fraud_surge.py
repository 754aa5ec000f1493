"""The demo's live SEV1: fraud scoring declines genuine payments after a feature-pipeline change."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from comms import services as comms_services
from comms import workflows
from console.demo.base import Demo
from incidents import decisions
from incidents.choices import DecisionType, ExposureLevel, Phase, ReferenceKind, Role

TITLE = "Fraud model false-positive surge after feature-pipeline change"


def build(demo: Demo, title: str) -> None:
    u, now = demo.users, timezone.now()
    ic = u["commander"]
    fraud = demo.models["fraud-scoring"]
    incident = workflows.declare_incident(
        by=ic,
        title=title,
        severity=1,
        scope="Card payments scored by fraud scoring v43 in the EU and UK. Payments in the US (v42) are not affected.",
        summary="Since a feature-pipeline deploy, merchant_category arrives null for ~20 % of payments; "
        "the model reads nulls as high risk and declines genuine customers.",
        models=[(fraud, "v43")],
        customers_affected=2400,
        revenue_at_risk_per_hour="37400",
        regulatory_exposure=ExposureLevel.MEDIUM,
        customer_experience="Genuine card payments declined at checkout; customers retry or abandon.",
        detected_at=now - timedelta(hours=5),
        detection_indicator="FP rate 4.9 % (baseline 2 %) for 15 min",
    )
    demo.staff(
        incident,
        ic,
        {
            Role.SCRIBE: "responder",
            Role.COMMS_LEAD: "colin",
            Role.DATA_SCIENCE: "dana",
            Role.ENGINEERING: "sam",
            Role.EXECUTIVE: "priya",
            Role.REGULATOR: "ruth",
        },
    )
    decisions.add_note(
        incident=incident,
        by=u["dana"],
        text="Null rate of merchant_category jumped from 0.1 % to 21 % at the same minute as the FP surge.",
    )
    request = decisions.request_decision(
        incident=incident,
        by=u["sam"],
        decision_type=DecisionType.ROLLBACK_MODEL,
        question="Roll back the feature pipeline and fraud scoring to the last good release?",
    )
    decisions.record_decision(
        incident=incident,
        by=ic,
        decision_type=DecisionType.ROLLBACK_MODEL,
        decision="Roll back fraud scoring to v42 and the feature pipeline to release 2026.11.24.",
        rationale="v42 does not read merchant_category nulls as risk; rollback is tested and takes 10 minutes.",
        options_considered=[
            "Raise the decline threshold",
            "Fall back to rules",
            "Roll back to v42",
        ],
        reversible=True,
        settles=request,
    )
    decisions.add_reference(
        incident=incident,
        by=u["sam"],
        ref_kind=ReferenceKind.COMMIT,
        ref="9f3c2ab",
        text="Revert of the feature-pipeline change: commit 9f3c2ab",
    )
    decisions.record_decision(
        incident=incident,
        by=u["colin"],
        decision_type=DecisionType.CUSTOMER_NOTICE,
        decision="Publish a status-page notice: some card payments were declined in error; retrying now works.",
        rationale="Over 2,000 customers saw declines; support volume tripled.",
        options_considered=[
            "No notice",
            "Notice on the status page",
            "E-mail affected customers",
        ],
        reversible=False,
        approved_by=u["priya"],
    )
    workflows.reach_milestone(
        incident=incident,
        phase=Phase.CONTAINED,
        by=u["sam"],
        indicator="FP rate < 2 % for 30 min after the rollback",
        reached_at=now - timedelta(hours=3, minutes=10),
    )
    decisions.add_note(
        incident=incident,
        by=u["ruth"],
        text="Regulator notification not yet required: no customer data exposed; reassess at resolution.",
    )
    update = comms_services.create_draft(
        incident=incident,
        by=u["colin"],
        what_changed="Fraud scoring and the feature pipeline are rolled back; false positives are back under 2 %.",
        uncertain="Why the pipeline change passed its data-quality gate.",
        decisions_pending="Whether to re-release the pipeline fix today or after the review.",
        actions_in_progress="Data science replays the declined payments to find genuine customers to contact.",
        current_impact="About 2,400 customers were declined in error over 5 hours; no new declines since the rollback.",
        renditions={
            "technical": {
                "summary": "Rollback to fraud scoring v42 and pipeline 2026.11.24 done; FP rate 1.8 %.",
                "body": "merchant_category null rate back to 0.1 %. Revert commit 9f3c2ab. Replay job running.",
            },
            "executive": {
                "summary": "Genuine card payments are no longer being declined; about 2,400 customers were affected.",
                "body": "Revenue at risk peaked near $37,400 an hour and is back to normal. "
                "We are finding the affected customers so support can contact them.",
            },
            "customer": {
                "summary": "Some card payments were declined in error today; payments work normally again.",
                "body": "If your payment was declined between 10:00 and 15:00 UTC, please try again.",
            },
        },
    )
    comms_services.publish_update(update=update, by=u["colin"], approved_by=u["priya"])
