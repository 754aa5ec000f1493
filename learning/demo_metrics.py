"""Demo history for the communication-metrics page: a few closed incidents of past months, and a drill.

The demo's live incidents are all recent and mostly open, so the metrics page
would show one month and no ratings. `seed_history()` adds three resolved
real incidents (about 75, 45 and 15 days ago) and one drill at 60× (about 30
days ago), each written through the real services on a clock set back in
time, so their logs are valid hash chains and every figure is computed
exactly as for live incidents. Readers' ratings are added as delivered
e-mail deliveries with feedback. Deliveries of these past incidents are
marked delivered and read, so nothing is sent and no inbox fills up.

Idempotent: an incident whose title exists is skipped. Needs the demo users
(commander, colin, priya, sam, dana, conor) and models (fraud-scoring,
credit-risk, recommendations); returns the number of incidents created.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from comms import cadence_tick, workflows
from comms.feedback import record_feedback
from comms.models import Channel, Delivery, StatusUpdate
from comms.services import create_draft, publish_update
from incidents import decisions, services
from incidents.choices import DecisionType, Phase, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident, MonitoredModel

Ratings = list[tuple[str, int, int]]  # (audience, clarity, usefulness)


class _Clock:
    """The services read django.utils.timezone.now: set it to `start + offset`."""

    def __init__(self, start: datetime) -> None:
        self.start, self.now = start, start

    def __call__(self) -> datetime:
        return self.now

    def at(self, *, minutes: float = 0, seconds: float = 0) -> datetime:
        self.now = self.start + timedelta(minutes=minutes, seconds=seconds)
        return self.now


@contextmanager
def _travel(start: datetime) -> Iterator[_Clock]:
    clock = _Clock(start)
    with mock.patch.object(timezone, "now", clock):
        yield clock


class _History:
    def __init__(
        self, users: dict[str, User], models: dict[str, MonitoredModel], today: datetime
    ) -> None:
        self.u, self.m = users, models
        self.today = today.replace(hour=0, minute=0, second=0, microsecond=0)

    def day(self, days_ago: int, hour: int) -> datetime:
        return self.today - timedelta(days=days_ago) + timedelta(hours=hour)

    def publish(
        self,
        incident: Incident,
        by: str,
        what: str,
        audiences: dict[str, str],
        approved_by: str | None = None,
    ) -> StatusUpdate:
        update = create_draft(
            incident=incident,
            by=self.u[by],
            what_changed=what,
            renditions={a: {"summary": text} for a, text in audiences.items()},
        )
        return publish_update(
            update=update,
            by=self.u[by],
            acknowledge_jargon=True,
            approved_by=self.u[approved_by] if approved_by else None,
        )

    def request(self, incident: Incident, by: str, kind: str, question: str) -> DecisionLogEntry:
        return decisions.request_decision(
            incident=incident, by=self.u[by], decision_type=kind, question=question
        )

    def decide(
        self, incident: Incident, by: str, kind: str, decision: str, settles: DecisionLogEntry
    ) -> None:
        decisions.record_decision(
            incident=incident,
            by=self.u[by],
            decision_type=kind,
            decision=decision,
            rationale="Agreed in the incident channel.",
            settles=settles,
        )

    def milestone(self, incident: Incident, phase: str, indicator: str) -> None:
        workflows.reach_milestone(
            incident=incident, phase=phase, indicator=indicator, by=self.u["commander"]
        )

    def staff(self, incident: Incident, roles: dict[str, str]) -> None:
        for role, username in roles.items():
            services.assign_role(
                incident=incident, role=role, user=self.u[username], by=self.u["commander"]
            )

    def rate(self, update: StatusUpdate, ratings: Ratings) -> None:
        published_at = update.published_at or timezone.now()  # rated updates are published
        for i, (audience, clarity, usefulness) in enumerate(ratings):
            delivery = Delivery.objects.create(
                kind=Delivery.Kind.UPDATE,
                incident=update.incident,
                update=update,
                channel=Channel.EMAIL,
                target=f"reader{i}@demo.invalid",
                audience=audience,
                is_drill=update.incident.is_drill,
                status=Delivery.Status.DELIVERED,
                next_attempt_at=published_at,
                created_at=published_at,
                delivered_at=update.published_at,
            )
            record_feedback(delivery=delivery, clarity=clarity, usefulness=usefulness)

    # --- the incidents ----------------------------------------------------------------------

    def fraud_over_blocking(self, title: str) -> Incident:
        """SEV2, 75 days ago: quick first update, two settled decisions, a late customer notice."""
        with _travel(self.day(75, 10)) as t:
            t.at(minutes=6)
            incident = workflows.declare_incident(
                by=self.u["commander"],
                title=title,
                severity=2,
                models=[(self.m["fraud-scoring"], "v41")],
                scope="Card payments, all regions",
                detected_at=t.start,
                detection_indicator="Decline rate 3× baseline",
                customers_affected=900,
                revenue_at_risk_per_hour="18000",
            )
            self.staff(
                incident,
                {Role.COMMS_LEAD: "colin", Role.EXECUTIVE: "priya", Role.ENGINEERING: "sam"},
            )
            t.at(minutes=10)
            rollback = self.request(
                incident, "sam", DecisionType.ROLLBACK_MODEL, "Roll back the rules sync?"
            )
            t.at(minutes=22)
            u1 = self.publish(
                incident,
                "colin",
                "Declines are up; we are rolling back a rules sync.",
                {
                    "technical": "Rules sync 4411 raised declines 3x; rollback prepared.",
                    "executive": "Some genuine card payments are being declined; a fix is under way.",
                },
            )
            t.at(minutes=31)
            self.decide(
                incident,
                "commander",
                DecisionType.ROLLBACK_MODEL,
                "Roll back rules sync 4411",
                rollback,
            )
            t.at(minutes=48)
            self.milestone(incident, Phase.CONTAINED, "Decline rate back to baseline for 15 min")
            t.at(minutes=50)
            self.publish(
                incident,
                "colin",
                "Rollback done; declines are back to normal.",
                {
                    "technical": "Rollback of 4411 complete; decline rate at baseline.",
                    "executive": "Payments are approved normally again.",
                },
            )
            t.at(minutes=70)
            notice = self.request(
                incident, "colin", DecisionType.CUSTOMER_NOTICE, "Tell affected customers?"
            )
            cadence_tick.run_due(
                now=t.at(minutes=90)
            )  # the customer, technical and executive slots are overdue
            t.at(minutes=95)
            self.decide(
                incident, "colin", DecisionType.CUSTOMER_NOTICE, "Post a status-page notice", notice
            )
            t.at(minutes=96)
            u3 = self.publish(
                incident,
                "colin",
                "Customers told; monitoring.",
                {
                    "technical": "Monitoring for 1 h before closing.",
                    "executive": "Customers have been told; no further declines.",
                    "customer": "Some card payments were declined in error this morning; they work again.",
                },
            )
            t.at(minutes=150)
            self.milestone(incident, Phase.RESOLVED, "No excess declines for 1 h")
            self.rate(u1, [("technical", 4, 4), ("technical", 5, 4), ("executive", 4, 5)])
            self.rate(u3, [("executive", 3, 4), ("customer", 2, 3)])
        return incident

    def credit_drift(self, title: str) -> Incident:
        """SEV3, 45 days ago: a slow first update and a 90-minute decision."""
        with _travel(self.day(45, 9)) as t:
            t.at(minutes=20)
            incident = workflows.declare_incident(
                by=self.u["commander"],
                title=title,
                severity=3,
                models=[(self.m["credit-risk"], "")],
                scope="New credit applications",
                detected_at=t.start,
                detection_indicator="PSI 0.31 on income",
            )
            self.staff(incident, {Role.DATA_SCIENCE: "dana"})
            t.at(minutes=40)
            threshold = self.request(
                incident,
                "dana",
                DecisionType.ADJUST_THRESHOLD,
                "Tighten the approval threshold while the feed is fixed?",
            )
            t.at(minutes=70)
            u1 = self.publish(
                incident,
                "commander",
                "Scores drifted after a bureau feed change.",
                {
                    "technical": "Income feature PSI 0.31 since the bureau feed change.",
                    "executive": "Credit decisions may be less accurate; we are adjusting.",
                },
            )
            t.at(minutes=130)
            self.decide(
                incident,
                "commander",
                DecisionType.ADJUST_THRESHOLD,
                "Raise the threshold to 0.72",
                threshold,
            )
            t.at(minutes=180)
            self.milestone(incident, Phase.CONTAINED, "Approval rate within 1 % of last month")
            t.at(minutes=200)
            self.publish(
                incident,
                "commander",
                "Threshold raised; approvals normal.",
                {"technical": "Threshold 0.72; PSI still high until the feed is fixed."},
            )
            t.at(minutes=400)
            self.milestone(incident, Phase.RESOLVED, "Feed fixed; PSI 0.04")
            self.rate(u1, [("technical", 3, 4), ("technical", 4, 4), ("executive", 2, 3)])
        return incident

    def recommendations_outage(self, title: str) -> Incident:
        """SEV1, 15 days ago: fast updates and decision; nothing for the regulator (reminded, escalated)."""
        with _travel(self.day(15, 14)) as t:
            t.at(minutes=4)
            incident = workflows.declare_incident(
                by=self.u["commander"],
                title=title,
                severity=1,
                models=[(self.m["recommendations"], "")],
                scope="Checkout recommendations",
                detected_at=t.start,
                detection_indicator="Error rate 40 %",
                customers_affected=5000,
                revenue_at_risk_per_hour="60000",
            )
            self.staff(
                incident,
                {Role.COMMS_LEAD: "colin", Role.EXECUTIVE: "priya", Role.ENGINEERING: "sam"},
            )
            t.at(minutes=8)
            disable = self.request(
                incident, "sam", DecisionType.DISABLE_MODEL, "Fall back to best-sellers?"
            )
            t.at(minutes=12)
            u1 = self.publish(
                incident,
                "colin",
                "Recommendations fail at checkout; falling back.",
                {
                    "technical": "Recommender error rate 40 %; fallback to best-sellers.",
                    "executive": "Checkout suggestions are down; checkout itself works.",
                    "customer": "Product suggestions at checkout are unavailable; you can still pay.",
                },
                approved_by="priya",
            )
            t.at(minutes=14)
            self.decide(
                incident, "commander", DecisionType.DISABLE_MODEL, "Serve best-sellers", disable
            )
            t.at(minutes=27)
            self.publish(
                incident,
                "colin",
                "Fallback live.",
                {"technical": "Best-sellers served; errors 0 %."},
            )
            t.at(minutes=35)
            self.milestone(incident, Phase.CONTAINED, "Checkout error rate 0 % for 10 min")
            cadence_tick.run_due(now=t.at(minutes=45))  # technical and executive overdue
            t.at(minutes=50)
            self.publish(
                incident,
                "colin",
                "Root cause found.",
                {
                    "technical": "Cache eviction bug; fix in review.",
                    "executive": "Suggestions will return after a fix this afternoon.",
                },
            )
            cadence_tick.run_due(now=t.at(minutes=70))  # nobody wrote to the regulator: reminded
            cadence_tick.run_due(now=t.at(minutes=76))  # … and escalated after the 5-minute grace
            t.at(minutes=120)
            self.milestone(incident, Phase.RESOLVED, "Recommender back; errors 0 % for 1 h")
            self.rate(
                u1,
                [("technical", 5, 5), ("executive", 4, 4), ("executive", 5, 4), ("customer", 4, 3)],
            )
        return incident

    def drill(self, title: str) -> Incident:
        """A drill at 60× 30 days ago: wall seconds are drill minutes."""
        with _travel(self.day(30, 11)) as t:
            t.at(seconds=30)
            incident = workflows.declare_incident(
                by=self.u["conor"],
                title=title,
                severity=2,
                is_drill=True,
                clock_factor=60,  # the cadence runs on the drill clock from the start
                models=[(self.m["fraud-scoring"], "")],
                scope="Drill: synthetic trace; no customer is affected.",
                detected_at=t.start,
                detection_indicator="Drill trace: FP rate 5 %",
            )
            services.assign_role(
                incident=incident, role=Role.COMMS_LEAD, user=self.u["colin"], by=self.u["conor"]
            )
            t.at(seconds=50)
            u1 = self.publish(
                incident,
                "colin",
                "Drill: FP surge; investigating.",
                {"technical": "Drill: FP 5 %.", "executive": "Drill: some payments declined."},
            )
            t.at(seconds=70)
            request = decisions.request_decision(
                incident=incident,
                by=self.u["colin"],
                decision_type=DecisionType.ROLLBACK_MODEL,
                question="Drill: roll back?",
            )
            t.at(seconds=115)
            decisions.record_decision(
                incident=incident,
                by=self.u["conor"],
                decision_type=DecisionType.ROLLBACK_MODEL,
                decision="Drill: roll back",
                rationale="Practice",
                settles=request,
            )
            t.at(seconds=150)
            workflows.reach_milestone(
                incident=incident,
                phase=Phase.CONTAINED,
                indicator="Drill: FP < 2 %",
                by=self.u["conor"],
            )
            t.at(seconds=240)
            workflows.reach_milestone(
                incident=incident, phase=Phase.RESOLVED, indicator="Drill over", by=self.u["conor"]
            )
            self.rate(u1, [("executive", 3, 3), ("technical", 4, 4)])
        return incident

    def builders(self) -> Iterator[tuple[str, Callable[[str], Incident]]]:
        yield "Fraud scoring over-blocking after a rules sync", self.fraud_over_blocking
        yield "Credit-risk scores drift after a bureau feed change", self.credit_drift
        yield "Checkout recommendations outage", self.recommendations_outage
        yield "Drill: fraud false positives after a feature-store outage", self.drill


def seed_history(
    users: dict[str, User],
    *,
    today: datetime | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> int:
    """Create the past incidents that do not exist yet; return how many were created."""
    models = {
        m.slug: m
        for m in MonitoredModel.objects.filter(
            slug__in=["fraud-scoring", "credit-risk", "recommendations"]
        )
    }
    history = _History(users, models, today or timezone.now())
    created = 0
    for title, build in history.builders():
        if Incident.objects.filter(title=title).exists():
            continue
        with transaction.atomic():
            incident = build(title)
            # Past news: nothing to send, nothing unread.
            Delivery.objects.filter(incident=incident).exclude(
                status=Delivery.Status.DELIVERED
            ).update(
                status=Delivery.Status.DELIVERED,
                delivered_at=incident.declared_at,
            )
            Delivery.objects.filter(incident=incident, read_at__isnull=True).update(
                read_at=incident.declared_at
            )
        created += 1
        say(f"Past incident {title!r} created")
    return created
