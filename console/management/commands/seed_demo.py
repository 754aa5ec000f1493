"""Load the demo: personas, watched models, metrics, playbooks, incidents, glossary.

Idempotent: everything is looked up by a natural key (username, slug, title,
playbook scope, term slug) and skipped when it exists, so a second run
changes nothing. Incidents are written only through incidents.services, so
their decision logs are valid hash chains.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from comms import services as comms_services
from comms import workflows
from comms.models import Subscription
from glossary.models import Term
from glossary.services import create_term
from glossary.starter import STARTER_TERMS
from incidents import services
from incidents.choices import (
    GROUP_ADMIN,
    GROUP_COMMANDER,
    GROUP_EXECUTIVE,
    GROUP_REGULATOR,
    GROUP_RESPONDER,
    DecisionType,
    ExposureLevel,
    Phase,
    ReferenceKind,
    Role,
)
from incidents.health_metrics import PointIn, ingest_metric_points
from incidents.models import ImpactRule, Incident, MonitoredModel, Playbook
from learning import demo_metrics
from learning.demo_drill import seed_drill
from learning.demo_review import seed_review
from learning.models import Review

# username -> (first name, last name, groups, extra flags)
USERS: dict[str, tuple[str, str, list[str], dict[str, bool]]] = {
    "commander": ("Cara", "Okafor", [GROUP_COMMANDER, GROUP_RESPONDER], {}),
    "responder": ("Remy", "Laurent", [GROUP_RESPONDER], {}),
    "executive": ("Eve", "Marsh", [GROUP_EXECUTIVE], {}),
    "regulator": ("Reggie", "Stone", [GROUP_REGULATOR], {}),
    "admin": (
        "Ada",
        "Admin",
        [GROUP_ADMIN, GROUP_COMMANDER],
        {"is_staff": True, "is_superuser": True},
    ),
    "dana": ("Dana", "Ibrahim", [GROUP_RESPONDER], {}),  # data scientist
    "sam": ("Sam", "Novak", [GROUP_RESPONDER], {}),  # SRE
    "colin": ("Colin", "Reyes", [GROUP_RESPONDER], {}),  # comms lead
    "priya": ("Priya", "Shah", [GROUP_RESPONDER, GROUP_EXECUTIVE], {}),  # VP, executive liaison
    "ruth": ("Ruth", "Adeyemi", [GROUP_RESPONDER], {}),  # compliance, regulator liaison
    "conor": ("Conor", "Walsh", [GROUP_COMMANDER, GROUP_RESPONDER], {}),  # second commander
}

MODELS: list[dict[str, Any]] = [
    {
        "slug": "fraud-scoring",
        "name": "Fraud scoring",
        "team": "Payments risk",
        "business_function": "Approve or decline card payments in real time",
        "risk_tier": 1,
        "current_version": "v43",
        "description": "Gradient-boosted model scoring every card payment for fraud.",
        "rules": [
            {
                "metric": "false_positive_rate",
                "baseline": 2.0,
                "step": 1.0,
                "customers_per_step": 120,
                "revenue_per_step": "8500.00",
                "unit_label": "customers wrongly declined per hour",
                "description": "Each point of false-positive rate above 2 % wrongly declines ≈120 customers and "
                "puts ≈$8,500 of revenue at risk per hour.",
            },
            {
                "metric": "p95_latency_ms",
                "baseline": 150,
                "step": 50,
                "customers_per_step": 30,
                "revenue_per_step": "1200.00",
                "unit_label": "payments timing out per hour",
                "description": "Each 50 ms of p95 latency above 150 ms times out ≈30 payments per hour.",
            },
        ],
    },
    {
        "slug": "credit-risk",
        "name": "Credit risk",
        "team": "Lending analytics",
        "business_function": "Score credit applications and set limits",
        "risk_tier": 1,
        "current_version": "2026.11.2",
        "description": "Scorecard-style model behind personal loan and card-limit decisions.",
        "rules": [
            {
                "metric": "psi_income",
                "baseline": 0.1,
                "step": 0.1,
                "customers_per_step": 40,
                "revenue_per_step": "3000.00",
                "unit_label": "applications mis-scored per hour",
                "description": "Each 0.1 of PSI on income above 0.1 mis-scores ≈40 applications per hour.",
            },
        ],
    },
    {
        "slug": "recommendations",
        "name": "Product recommendations",
        "team": "Personalisation",
        "business_function": "Recommend products at checkout and on the home page",
        "risk_tier": 3,
        "current_version": "r-318",
        "description": "Two-tower retrieval model with a ranking stage, called on every checkout page.",
        "rules": [
            {
                "metric": "p95_latency_ms",
                "baseline": 300,
                "step": 50,
                "customers_per_step": 90,
                "revenue_per_step": "2400.00",
                "unit_label": "checkouts abandoned per hour",
                "description": "Each 50 ms of p95 latency above 300 ms abandons ≈1.5 % of checkouts "
                "(≈90 per hour, ≈$2,400 per hour).",
            },
        ],
    },
]

PLAYBOOKS: list[dict[str, Any]] = [
    {
        "name": "SEV1 — critical",
        "severity": 1,
        "cadence_minutes": {"technical": 15, "executive": 30, "regulator": 60, "customer": 60},
        "escalation_grace_minutes": 5,
        "escalation_path": [
            {"after_minutes": 0, "notify": ["commander", "comms_lead"]},
            {"after_minutes": 5, "notify": ["liaison_executive"]},
            {"after_minutes": 30, "notify": ["liaison_regulator"]},
        ],
        "notification_thresholds": {"technical": 4, "executive": 2, "regulator": 1, "customer": 1},
        "decision_rights": {},
        "approvals": {"customer_notice": "liaison_executive"},
    },
    {
        "name": "SEV2 — high",
        "severity": 2,
        "cadence_minutes": {"technical": 30, "executive": 30, "regulator": 120, "customer": 60},
        "escalation_grace_minutes": 10,
        "escalation_path": [
            {"after_minutes": 0, "notify": ["commander"]},
            {"after_minutes": 10, "notify": ["liaison_executive"]},
        ],
        "notification_thresholds": {"technical": 4, "executive": 2, "regulator": 1, "customer": 2},
        "decision_rights": {},
        "approvals": {},
    },
    {
        "name": "SEV3 — moderate",
        "severity": 3,
        "cadence_minutes": {"technical": 60, "executive": 120},
        "escalation_grace_minutes": 15,
        "escalation_path": [{"after_minutes": 0, "notify": ["commander"]}],
        "notification_thresholds": {"technical": 4, "executive": 2},
        "decision_rights": {
            "adjust_threshold": ["commander", "liaison_data_science", "liaison_engineering"]
        },
        "approvals": {},
    },
    {
        "name": "SEV4 — low",
        "severity": 4,
        "cadence_minutes": {"technical": 240},
        "escalation_grace_minutes": 30,
        "escalation_path": [{"after_minutes": 0, "notify": ["commander"]}],
        "notification_thresholds": {"technical": 4},
        "decision_rights": {},
        "approvals": {},
    },
]

METRIC_WEEK = timedelta(days=7)
METRIC_STEP = timedelta(minutes=10)


@dataclass(frozen=True)
class Trace:
    """A metric's shape: a daily rhythm around a base, noise, and an excursion."""

    metric: str
    base: float
    daily_swing: float
    noise: float
    # (start offset before now, duration, peak added at the excursion's height)
    excursion: tuple[timedelta, timedelta, float] | None = None
    floor: float = 0.0

    def value(self, at: datetime, now: datetime, rng: random.Random) -> float:
        hour = at.hour + at.minute / 60
        v = (
            self.base
            + self.daily_swing * math.sin((hour - 8) / 24 * 2 * math.pi)
            + rng.gauss(0, self.noise)
        )
        if self.excursion:
            ago, length, peak = self.excursion
            start = now - ago
            if start <= at <= start + length:
                # Rise fast, hold, decay: the shape of a real incident.
                x = (at - start) / length
                v += peak * min(1.0, x * 6) * (1.0 if x < 0.7 else max(0.0, (1 - x) / 0.3))
        return round(max(self.floor, v), 4)


TRACES: dict[str, list[Trace]] = {
    "fraud-scoring": [
        Trace(
            "false_positive_rate",
            1.6,
            0.2,
            0.08,
            (timedelta(hours=5), timedelta(hours=4, minutes=50), 4.4),
        ),
        Trace("p95_latency_ms", 120, 15, 6),
        Trace(
            "precision",
            0.82,
            0.01,
            0.005,
            (timedelta(hours=5), timedelta(hours=4, minutes=50), -0.2),
        ),
    ],
    "credit-risk": [
        Trace("psi_income", 0.04, 0.005, 0.004, (timedelta(hours=20), timedelta(hours=20), 0.34)),
        Trace("approval_rate", 61.0, 2.0, 0.6, (timedelta(hours=20), timedelta(hours=20), -9.0)),
        Trace("p95_latency_ms", 210, 20, 8),
    ],
    "recommendations": [
        Trace("p95_latency_ms", 190, 40, 12, (timedelta(days=2, hours=3), timedelta(hours=3), 620)),
        Trace(
            "click_through_rate",
            4.2,
            0.6,
            0.15,
            (timedelta(days=2, hours=3), timedelta(hours=3), -1.4),
        ),
        Trace("error_rate", 0.2, 0.05, 0.04, (timedelta(days=2, hours=3), timedelta(hours=3), 2.5)),
    ],
}


class Command(BaseCommand):
    help = "Load demo users, models, metrics, playbooks, incidents and the starter glossary (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        password = os.environ.get("DEMO_PASSWORD", "demo")
        self.users = self.seed_users(password)
        self.models = self.seed_models()
        self.seed_metrics()
        self.seed_playbooks()
        self.seed_glossary()
        self.seed_subscriptions()
        self.seed_incidents()
        self.seed_learning()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def say(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    # --- people, models, metrics, playbooks -------------------------------------

    def seed_users(self, password: str) -> dict[str, User]:
        users: dict[str, User] = {}
        groups = {g.name: g for g in Group.objects.all()}
        # Hash once: PBKDF2 costs ~0.5 s per call and every demo login shares the password.
        hashed = make_password(password)
        for username, (first, last, group_names, flags) in USERS.items():
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create(
                    username=username,
                    password=hashed,
                    email=f"{username}@demo.invalid",
                    first_name=first,
                    last_name=last,
                    **flags,
                )
                user.groups.set([groups[name] for name in group_names])
                self.say(f"User {username} created")
            users[username] = user
        return users

    def seed_models(self) -> dict[str, MonitoredModel]:
        models: dict[str, MonitoredModel] = {}
        for spec in MODELS:
            fields = {k: v for k, v in spec.items() if k not in ("slug", "rules")}
            model, created = MonitoredModel.objects.get_or_create(
                slug=spec["slug"], defaults=fields
            )
            for rule in spec["rules"]:
                ImpactRule.objects.get_or_create(
                    model=model,
                    metric=rule["metric"],
                    defaults={
                        **{k: v for k, v in rule.items() if k != "metric"},
                        "revenue_per_step": Decimal(rule["revenue_per_step"]),
                    },
                )
            if created:
                self.say(f"Model {model.slug} created")
            models[model.slug] = model
        return models

    def seed_metrics(self) -> None:
        """Write a week of points every 10 minutes for models that have none yet."""
        now = timezone.now().replace(second=0, microsecond=0)
        now -= timedelta(minutes=now.minute % 10)
        for slug, traces in TRACES.items():
            model = self.models[slug]
            if model.metric_points.filter(is_drill=False).exists():
                continue
            rng = random.Random(slug)  # noqa: S311  deterministic demo shape per model, not a secret
            points = [
                PointIn(trace.metric, at, trace.value(at, now, rng))
                for trace in traces
                for at in _instants(now - METRIC_WEEK, now)
            ]
            count = ingest_metric_points(model=model, points=points)
            self.say(f"{count} metric points for {slug}")

    def seed_playbooks(self) -> None:
        for spec in PLAYBOOKS:
            if Playbook.objects.filter(
                is_active=True, severity=spec["severity"], risk_tier__isnull=True
            ).exists():
                continue
            playbook = Playbook(**spec)
            playbook.full_clean()
            playbook.save()
            self.say(f"Playbook {playbook.name} created")

    # --- incidents ------------------------------------------------------------------

    def seed_incidents(self) -> None:
        for title, build in self.incident_builders():
            if Incident.objects.filter(title=title).exists():
                continue
            with transaction.atomic():
                build(title)
            self.say(f"Incident {title!r} created")

    def incident_builders(self) -> Iterator[tuple[str, Callable[[str], None]]]:
        yield "Fraud model false-positive surge after feature-pipeline change", self.fraud_surge
        yield "Credit risk model drift after upstream schema change", self.credit_drift
        yield "Recommendations p95 latency spike at checkout", self.recommender_latency
        yield "Drill: fraud scoring false positives after threshold push", self.fraud_drill

    def _staff(self, incident: Incident, by: User, roles: dict[str, str]) -> None:
        for role, username in roles.items():
            services.assign_role(incident=incident, role=role, user=self.users[username], by=by)

    def fraud_surge(self, title: str) -> None:
        u, now = self.users, timezone.now()
        ic = u["commander"]
        fraud = self.models["fraud-scoring"]
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
        self._staff(
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
        services.add_note(
            incident=incident,
            by=u["dana"],
            text="Null rate of merchant_category jumped from 0.1 % to 21 % at the same minute as the FP surge.",
        )
        request = services.request_decision(
            incident=incident,
            by=u["sam"],
            decision_type=DecisionType.ROLLBACK_MODEL,
            question="Roll back the feature pipeline and fraud scoring to the last good release?",
        )
        services.record_decision(
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
        services.add_reference(
            incident=incident,
            by=u["sam"],
            ref_kind=ReferenceKind.COMMIT,
            ref="9f3c2ab",
            text="Revert of the feature-pipeline change: commit 9f3c2ab",
        )
        services.record_decision(
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
        services.add_note(
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

    def credit_drift(self, title: str) -> None:
        u, now = self.users, timezone.now()
        ic = u["conor"]
        incident = workflows.declare_incident(
            by=ic,
            title=title,
            severity=2,
            scope="New personal-loan applications scored since 14:00 UTC yesterday; existing limits unaffected.",
            summary="An upstream schema change sends income in cents; PSI on income is 0.38 and approvals fell 9 points.",
            models=[(self.models["credit-risk"], "")],
            customers_affected=640,
            revenue_at_risk_per_hour="11200",
            regulatory_exposure=ExposureLevel.HIGH,
            customer_experience="Creditworthy applicants declined or offered lower limits.",
            detected_at=now - timedelta(hours=19),
            detection_indicator="PSI(income) 0.31 > 0.25 alert",
        )
        self._staff(
            incident,
            ic,
            {Role.DATA_SCIENCE: "dana", Role.ENGINEERING: "sam", Role.REGULATOR: "ruth"},
        )
        services.record_decision(
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
        services.add_reference(
            incident=incident,
            by=u["sam"],
            ref_kind=ReferenceKind.TICKET,
            ref="DATA-4821",
            text="Schema fix tracked in DATA-4821",
        )
        services.request_decision(
            incident=incident,
            by=u["ruth"],
            decision_type=DecisionType.REGULATOR_DISCLOSURE,
            question="Do we notify the credit regulator of 640 mis-scored applications?",
        )

    def recommender_latency(self, title: str) -> None:
        u, now = self.users, timezone.now()
        ic = u["commander"]
        incident = workflows.declare_incident(
            by=ic,
            title=title,
            severity=3,
            scope="Recommendations on checkout and home pages; checkout itself keeps working.",
            summary="p95 latency rose to 900 ms after a cache node failed; the page waits for recommendations.",
            models=[(self.models["recommendations"], "r-318")],
            customers_affected=180,
            revenue_at_risk_per_hour="5800",
            customer_experience="Slow checkout pages; some customers abandon their basket.",
            detected_at=now - timedelta(days=2, hours=3),
            detection_indicator="p95 latency 640 ms > 300 ms SLO",
        )
        self._staff(incident, ic, {Role.ENGINEERING: "sam", Role.SCRIBE: "responder"})
        services.record_decision(
            incident=incident,
            by=u["sam"],
            decision_type=DecisionType.DISABLE_MODEL,
            decision="Serve cached best-sellers instead of live recommendations until the cache recovers.",
            rationale="Checkout speed matters more than personalisation for a few hours.",
            options_considered=["Scale the cache", "Serve best-sellers"],
            reversible=True,
        )
        note = services.add_note(
            incident=incident, by=u["responder"], text="Cache node cache-3 restarted at 10:40 UTC."
        )
        services.correct_entry(
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

    def fraud_drill(self, title: str) -> None:
        u, now = self.users, timezone.now()
        ic = u["conor"]
        incident = workflows.declare_incident(
            by=ic,
            title=title,
            severity=2,
            is_drill=True,
            scope="Drill: synthetic trace of fraud scoring false positives; no customer is affected.",
            summary="Scenario: a threshold push raises the false-positive rate to 5 %.",
            models=[(self.models["fraud-scoring"], "v43")],
            customers_affected=0,
            revenue_at_risk_per_hour="0",
            detected_at=now - timedelta(minutes=20),
            detection_indicator="Drill trace: FP rate 5.1 %",
        )
        self._staff(incident, ic, {Role.COMMS_LEAD: "colin", Role.DATA_SCIENCE: "dana"})
        services.add_note(
            incident=incident, by=u["colin"], text="Drill: first executive update drafted."
        )

    # --- the learning loop ------------------------------------------------------------

    def seed_learning(self) -> None:
        """Past incidents for the metrics page, a published review with action items, a debriefed drill."""
        u = self.users
        created = demo_metrics.seed_history(u, say=self.say)
        if created:
            self.say(f"{created} past incidents for the metrics page")
        resolved = Incident.objects.get(title="Recommendations p95 latency spike at checkout")
        if not Review.objects.filter(incident=resolved).exists():
            seed_review(
                incident=resolved,
                commander=u["commander"],
                owners=[u["sam"], u["dana"], u["commander"]],
            )
            self.say(f"Published review of {resolved.reference}")
        seed_drill(commander=u["commander"], owner=u["sam"], say=self.say)

    # --- glossary -----------------------------------------------------------------

    def seed_subscriptions(self) -> None:
        """In-app and e-mail subscriptions for the demo personas, one per audience they read."""
        wanted = [
            ("commander", "technical"),
            ("responder", "technical"),
            ("executive", "executive"),
        ]
        for username, audience in wanted:
            Subscription.objects.get_or_create(
                user=self.users[username],
                audience=audience,
                defaults={
                    "name": f"{username}: {audience} updates",
                    "include_drills": username != "executive",
                },
            )

    def seed_glossary(self) -> None:
        existing = set(Term.objects.values_list("name", flat=True))
        created: list[str] = []
        for spec in STARTER_TERMS:
            if spec["name"] in existing:
                continue
            create_term(
                by=None,
                name=spec["name"],
                technical_definition=spec["technical_definition"],
                plain_definition=spec["plain_definition"],
                variants=list(spec.get("variants", [])),
                examples=spec.get("examples", ""),
                is_technical=spec.get("is_technical", True),
            )
            created.append(spec["name"])
        if created:
            # Link related terms once all exist; the relation is not versioned.
            terms = {t.name: t for t in Term.objects.all()}
            for spec in STARTER_TERMS:
                if spec["name"] in created:
                    terms[spec["name"]].related.add(
                        *(terms[n] for n in spec.get("related", []) if n in terms)
                    )
            self.say(f"{len(created)} glossary terms created")


def _instants(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start
    while at <= end:
        yield at
        at += METRIC_STEP
