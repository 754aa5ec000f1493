"""The cadence tick: reminders and escalations of due deadlines, claimed every few seconds.

Beat runs `run_due()` (comms.tasks.cadence_tick_task). It claims what is due
with conditional UPDATEs, so two workers or two beats never send the same
reminder or escalation, and a restart of Redis or of the worker loses
nothing: the rows are still due. The deadlines themselves are planned by
comms.cadence; the notices go out through the outbox (comms.fanout).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from comms import fanout
from comms.cadence import on_clock
from comms.models import Deadline, Delivery
from incidents import rights
from incidents.choices import Audience, EntryKind, Role
from incidents.decision_log.chain import append_entry
from incidents.models import Incident, Playbook, RoleAssignment

DEFAULT_GRACE_MINUTES = 10
# Reminders claimed and written per transaction: a thousand deadlines falling due
# at once are reminded in seconds, and a worker killed mid-tick holds back few.
REMIND_BATCH = 100


def grace_minutes(playbook: Playbook | None) -> int:
    return playbook.escalation_grace_minutes if playbook else DEFAULT_GRACE_MINUTES


def _holders(incident: Incident, roles: list[str]) -> list[User]:
    return [
        a.user
        for a in RoleAssignment.objects.active()
        .filter(incident=incident, role__in=roles)
        .select_related("user")
    ]


def remind(deadline_id: int, *, now: datetime) -> bool:
    """Send the reminder for one due deadline, once; record the slot as missed."""
    return remind_due(now=now, among=[deadline_id]) == 1


def remind_due(*, now: datetime, among: list[int] | None = None, limit: int = REMIND_BATCH) -> int:
    """Claim up to `limit` due, unreminded deadlines and send their reminders; return how many.

    One short transaction for the batch: lock the due rows nobody else holds
    (PostgreSQL: SKIP LOCKED, so a second worker or beat takes the next batch
    instead of waiting; SQLite's IMMEDIATE transactions serialise writers),
    mark them reminded and missed, then write each reminder (notices to those
    who can publish the update, a log entry) and hand the notices to the
    outbox after commit. Two ticks never remind the same slot twice.
    """
    due = Deadline.objects.open().filter(reminded_at__isnull=True, due_at__lte=now)
    if among is not None:
        due = due.filter(pk__in=among)
    if not due.exists():  # the usual tick: one query, no transaction
        return 0
    with transaction.atomic():
        # The LIMIT applies after the skip: a second tick running meanwhile (beat
        # ticks again before a big first one ends) takes the next batch, so the
        # workers share a burst instead of the second finding only locked rows.
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        Deadline.objects.filter(pk__in=ids).update(reminded_at=now, outcome=Deadline.Outcome.MISSED)
        deadlines = list(Deadline.objects.filter(pk__in=ids).select_related("incident"))
        holders: dict[int, list[User]] = {}
        for assignment in (
            RoleAssignment.objects.active()
            .filter(
                incident_id__in={d.incident_id for d in deadlines}, role__in=rights.PUBLISHING_ROLES
            )
            .select_related("user")
            .order_by("pk")
        ):
            holders.setdefault(assignment.incident_id, []).append(assignment.user)
        rows: list[Delivery] = []
        for deadline in deadlines:
            rows += _write_reminder(deadline, holders.get(deadline.incident_id, []), now=now)
        fanout.enqueue_after_commit(rows)
    return len(ids)


def _write_reminder(deadline: Deadline, users: list[User], *, now: datetime) -> list[Delivery]:
    """The reminder of one claimed deadline: notices to `users` (who can publish) and a log entry."""
    audience = Audience(deadline.audience).label
    message = f"The {audience.lower()} update for {deadline.incident.reference} was due at {deadline.due_at:%H:%M} UTC."
    rows = fanout.write_user_notices(
        kind="reminder", deadline=deadline, users=users, message=message, now=now
    )
    append_entry(
        incident=deadline.incident,
        kind=EntryKind.REMINDER,
        actor_label="cadence",
        summary=f"Reminder: {audience.lower()} update overdue (due {deadline.due_at:%H:%M} UTC)",
        data={
            "audience": deadline.audience,
            "due_at": deadline.due_at.isoformat(),
            "notified": sorted({u.get_username() for u in users}),
        },
    )
    return rows


def escalation_steps(playbook: Playbook | None) -> list[tuple[int, list[str]]]:
    """Return the escalation path as (minutes after the grace, roles) per step, in order.

    Step 1 fires when the grace runs out (`due_at` + `escalation_grace_minutes`);
    step i fires `after_minutes(i) - after_minutes(1)` incident minutes after
    step 1 (with step 1 at 0, as in the seeded playbooks: `after_minutes` after
    the grace). A missing `after_minutes` counts as 0, and offsets never run
    backwards. Without a playbook, or when no step names a role, the one step is
    the executive liaison at the end of the grace.
    """
    path = [s for s in (playbook.escalation_path if playbook else []) if isinstance(s, dict)]
    if not any(s.get("notify") for s in path):
        return [(0, [Role.EXECUTIVE])]

    def minutes(step: dict) -> int:
        value = step.get("after_minutes", 0)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0

    origin, steps, offset = minutes(path[0]), [], 0
    for step in path:
        offset = max(offset, minutes(step) - origin)
        steps.append((offset, [r for r in step.get("notify", []) if r in Role.values]))
    return steps


def _step_due_at(deadline: Deadline, incident: Incident, grace: int, offset: int) -> datetime:
    return deadline.due_at + on_clock(incident, grace + offset)


def due_steps(deadline: Deadline, playbook: Playbook | None, *, now: datetime) -> int:
    """Return how many steps of the path are due for `deadline` at `now` (0 before the grace ends)."""
    grace = grace_minutes(playbook)
    return sum(
        1
        for offset, _ in escalation_steps(playbook)
        if _step_due_at(deadline, deadline.incident, grace, offset) <= now
    )


def escalate(deadline_id: int, *, now: datetime) -> bool:
    """Send the due, unsent steps of one deadline's escalation path, once; True if this call sent any."""
    with transaction.atomic():
        deadline = Deadline.objects.select_related("incident").get(pk=deadline_id)
        return _escalate(deadline, Playbook.for_incident(deadline.incident), now=now)


def _escalate(deadline: Deadline, playbook: Playbook | None, *, now: datetime) -> bool:
    """Claim and send steps k+1..m of the path (k sent as read, m due now) for one deadline.

    The claim is `UPDATE … SET escalation_step = m WHERE escalation_step = k
    AND due_at <= now - (grace + offset of step m)` on the open, reminded row:
    of two workers (or two beats) that read step k, one moves the counter and
    sends the steps; the other updates nothing and sends nothing. A snooze
    that moved `due_at` meanwhile makes the claim miss. The first claim also
    sets `escalated_at` (the first escalation, which metrics count).
    """
    incident = deadline.incident
    steps = escalation_steps(playbook)
    k, m = deadline.escalation_step, due_steps(deadline, playbook, now=now)
    if m <= k:
        return False
    with transaction.atomic():
        grace = grace_minutes(playbook)
        values: dict[str, object] = {"escalation_step": m}
        if k == 0:
            values["escalated_at"] = now
        claimed = (
            Deadline.objects.open()
            .filter(
                pk=deadline.pk,
                reminded_at__isnull=False,
                escalation_step=k,
                due_at__lte=now - on_clock(incident, grace + steps[m - 1][0]),
            )
            .update(**values)
        )
        if claimed != 1:
            return False
        deadline.refresh_from_db(fields=["due_at", "escalation_step", "escalated_at"])
        fired = list(range(k + 1, m + 1))
        roles = sorted({r for i in fired for r in steps[i - 1][1]})
        users = _holders(incident, roles)
        # Nobody holds the path's roles (e.g. no regulator liaison yet): an escalation must
        # still reach someone, so the commander hears it and the log says why.
        unheld = not users
        if unheld:
            users = _holders(incident, [Role.COMMANDER])
        # One escalation notice per person and deadline (one_cadence_notice_per_channel): someone
        # an earlier step already told (one person, two roles on the path) is not told again.
        told = set(
            Delivery.objects.filter(deadline=deadline, kind=Delivery.Kind.ESCALATION).values_list(
                "user_id", flat=True
            )
        )
        users = [u for u in users if u.pk not in told]
        audience = Audience(deadline.audience).label.lower()
        staged = (
            len({offset for offset, _ in steps}) > 1
        )  # steps all at the grace: one escalation, as before
        label = (
            (
                f" (step {fired[0]} of {len(steps)})"
                if len(fired) == 1
                else f" (steps {fired[0]}–{fired[-1]} of {len(steps)})"
            )
            if staged
            else ""
        )
        late = grace + steps[m - 1][0]
        message = (
            f"No {audience} update for {incident.reference} since it was due at {deadline.due_at:%H:%M} UTC; "
            + (
                f"escalated after {grace} min grace."
                if not staged
                else f"escalation{label}, {late} min after it was due."
            )
            + (f" Nobody holds {', '.join(roles)}: assign the role." if unheld else "")
        )
        rows = fanout.write_user_notices(
            kind="escalation", deadline=deadline, users=users, message=message, now=now
        )
        append_entry(
            incident=incident,
            kind=EntryKind.ESCALATION,
            actor_label="cadence",
            summary=f"Escalation{label}: {audience} update still missing",
            data={
                "audience": deadline.audience,
                "due_at": deadline.due_at.isoformat(),
                "step": m,
                "steps": fired,
                "of": len(steps),
                "roles": roles,
                "notified": sorted({u.get_username() for u in users}),
                "unheld_roles": unheld,
            },
        )
        fanout.enqueue_after_commit(rows)
    return True


def escalation_candidates(*, now: datetime) -> tuple[list[Playbook], QuerySet[Deadline]]:
    """The active playbooks, and the open deadlines that may have an escalation step due at `now`.

    A pre-filter in three queries (and one more for the incidents' models when read):
    past the shortest grace of any playbook, on the fastest open drill's clock, with
    fewer steps sent than the longest path has. Which step is due is decided per row
    (`due_steps`) on the row's own playbook and clock.
    """
    playbooks = list(Playbook.objects.filter(is_active=True))
    min_grace = timedelta(
        minutes=min([DEFAULT_GRACE_MINUTES, *(p.escalation_grace_minutes for p in playbooks)])
    )
    longest = max([1, *(len(escalation_steps(p)) for p in playbooks)])
    # A drill's grace runs on its faster clock: pre-filter with the fastest one open.
    fastest = (
        Incident.objects.open().filter(is_drill=True).aggregate(f=Max("clock_factor"))["f"] or 1
    )
    min_grace /= max(1, fastest)
    candidates = (
        Deadline.objects.open()
        .filter(escalation_step__lt=longest, due_at__lte=now - min_grace)
        .select_related("incident")
        .prefetch_related("incident__affected_models")
    )
    return playbooks, candidates


def run_due(*, now: datetime | None = None) -> dict[str, int]:
    """Claim and act on every due reminder and escalation step; safe to run anywhere, any time.

    1. Reminders: open deadlines past due and not yet reminded.
    2. Escalations: reminded deadlines with a step of their path due and not
       sent. Candidates are read in a constant number of queries (the rows
       with their incidents and affected models, the active playbooks, the
       fastest open drill); which step is due is decided in Python per row,
       on the row's own playbook and clock; only due rows cost a claim.
    Reminders are claimed in batches (`remind_due`; ticks that overlap share
    the batches), escalations row by row, each by a conditional UPDATE.
    """
    now = now or timezone.now()
    reminded = 0
    while batch := remind_due(now=now):
        reminded += batch
    playbooks, candidates = escalation_candidates(now=now)
    escalated = 0
    for deadline in candidates.filter(reminded_at__isnull=False):
        playbook = Playbook.for_incident(deadline.incident, candidates=playbooks)
        if due_steps(deadline, playbook, now=now) > deadline.escalation_step:
            escalated += _escalate(deadline, playbook, now=now)
    return {"reminded": reminded, "escalated": escalated}
