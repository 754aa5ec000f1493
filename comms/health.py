"""How the communication machinery is keeping up: what /metrics reports of comms.

Each function reads in a constant number of queries, whatever the number of rows:
/metrics runs them on every scrape (console/domain_metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q

from comms.cadence_tick import due_steps, escalation_candidates
from comms.models import Deadline, Delivery
from incidents.models import Playbook

# The cadence tick runs every CADENCE_TICK_SECONDS: a step due for less than this is
# on its way, not late.
ESCALATION_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True)
class ReminderLag:
    due: int  # open deadlines past due and not reminded
    lag_seconds: float  # how long the oldest of them has been due (0 when none)


def reminder_lag(*, now: datetime) -> ReminderLag:
    """Open deadlines past due whose reminder has not gone out, and the oldest one's lag."""
    found = (
        Deadline.objects.open()
        .filter(reminded_at__isnull=True, due_at__lte=now)
        .aggregate(n=Count("id"), oldest=Min("due_at"))
    )
    oldest = found["oldest"]
    return ReminderLag(
        due=found["n"], lag_seconds=(now - oldest).total_seconds() if oldest else 0.0
    )


def overdue_unescalated(*, now: datetime, tolerance: timedelta = ESCALATION_TOLERANCE) -> int:
    """Open deadlines whose next escalation step has been due for over `tolerance` and not sent.

    The same reading of the escalation path as the cadence tick (comms.cadence_tick):
    grace and steps of the incident's own playbook, on the incident's clock (drills
    run faster), from the same candidates (`escalation_candidates`: four queries).
    """
    at = now - tolerance
    playbooks, candidates = escalation_candidates(now=at)
    return sum(
        1
        for deadline in candidates
        if due_steps(
            deadline, Playbook.for_incident(deadline.incident, candidates=playbooks), now=at
        )
        > deadline.escalation_step
    )


@dataclass(frozen=True)
class ChannelBacklog:
    pending: int = 0
    failed: int = 0
    oldest_pending_seconds: float = 0.0  # since the oldest pending delivery was written
    waiting_seconds: float = 0.0  # how long the longest-waiting due, unclaimed one has waited


def delivery_backlog(*, now: datetime) -> dict[str, ChannelBacklog]:
    """Pending and failed deliveries by channel, with the ages that show a stuck outbox.

    A pending delivery waiting for its next attempt (backing off) is not stuck; one
    whose attempt is due and that no worker holds a lease on is waiting for a worker:
    `waiting_seconds` is how long the longest such wait is. Two queries.
    """
    due_unclaimed = Q(next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    pending = (
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .values("channel")
        .annotate(
            n=Count("id"),
            oldest=Min("created_at"),
            due=Min("next_attempt_at", filter=due_unclaimed),
        )
        .order_by()
    )
    failed = dict(
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .values("channel")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("channel", "n")
    )
    backlog: dict[str, ChannelBacklog] = {}
    for row in pending:
        backlog[row["channel"]] = ChannelBacklog(
            pending=row["n"],
            failed=failed.pop(row["channel"], 0),
            oldest_pending_seconds=max((now - row["oldest"]).total_seconds(), 0.0),
            waiting_seconds=max((now - row["due"]).total_seconds(), 0.0) if row["due"] else 0.0,
        )
    for channel, n in failed.items():
        backlog[channel] = ChannelBacklog(failed=n)
    return backlog
