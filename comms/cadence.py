"""The update cadence: deadlines per incident and audience, claimed by a periodic task.

Deadlines are rows. Publishing an update for an audience fulfils its open
deadline (met if on time, missed if late) and opens the next one. Every few
seconds `run_due()` claims what is due with conditional UPDATEs, so two
workers or two beats never send the same reminder or escalation, and a
restart of Redis or of the worker loses nothing: the rows are still due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from comms import fanout
from comms.models import Deadline, Delivery, StatusUpdate
from incidents import rights
from incidents.choices import DEFAULT_NOTIFICATION_THRESHOLDS, Audience, EntryKind, Role
from incidents.decision_log.chain import append_entry
from incidents.models import Incident, Playbook, RoleAssignment, cadence_minutes_for
from kit.errors import Conflict, DomainError, NotPermitted
from kit.text import required_text

log = logging.getLogger(__name__)

DEFAULT_GRACE_MINUTES = 10
MAX_SNOOZE_MINUTES = 60


def audiences_for(incident: Incident, playbook: Playbook | None) -> list[str]:
    """Return the audiences that get updates (and deadlines) at the incident's severity."""
    thresholds = {
        **DEFAULT_NOTIFICATION_THRESHOLDS,
        **(playbook.notification_thresholds if playbook else {}),
    }
    return [a for a in Audience.values if incident.severity <= thresholds.get(a, 0)]


def grace_minutes(playbook: Playbook | None) -> int:
    return playbook.escalation_grace_minutes if playbook else DEFAULT_GRACE_MINUTES


def on_clock(incident: Incident, minutes: float) -> timedelta:
    """Return `minutes` of the incident's own clock as a wall duration.

    Drills run `clock_factor` times faster than the wall clock (a 30-minute
    cadence at 60x falls due after 30 s); real incidents have factor 1.
    """
    return timedelta(minutes=minutes) / max(1, incident.clock_factor or 1)


def _open(
    incident: Incident,
    audience: str,
    minutes: int,
    *,
    now: datetime,
    update: StatusUpdate | None,
    due_at: datetime | None = None,
) -> Deadline:
    return Deadline.objects.create(
        incident=incident,
        audience=audience,
        opened_at=now,
        cadence_minutes=minutes,
        due_at=due_at or now + on_clock(incident, minutes),
        opened_by=update,
    )


def open_initial_deadlines(incident: Incident, *, now: datetime) -> list[Deadline]:
    """At declaration: the first update for each audience is due one cadence after declaring."""
    if not incident.is_open:
        return []
    playbook = Playbook.for_incident(incident)
    already = set(
        Deadline.objects.open().filter(incident=incident).values_list("audience", flat=True)
    )
    return [
        _open(
            incident,
            audience,
            cadence_minutes_for(playbook, audience, incident.severity),
            now=now,
            update=None,
        )
        for audience in audiences_for(incident, playbook)
        if audience not in already
    ]


def plan_after_publish(
    update: StatusUpdate, audiences: list[str], *, now: datetime
) -> dict[str, datetime]:
    """Fulfil each audience's open deadline and open the next; return the new due times.

    1. The open deadline (if any) is fulfilled by this update: met when
       published at or before its due time and before any reminder, missed
       otherwise (a snooze after the reminder delays the escalation, not the
       verdict).
    2. Unless the incident is closed, the next deadline opens one cadence from
       now, or at the update's promised next_update_at if that is sooner.
    """
    incident = update.incident
    playbook = Playbook.for_incident(incident)
    due_times: dict[str, datetime] = {}
    for deadline in (
        Deadline.objects.open()
        .select_for_update()
        .filter(incident=incident, audience__in=audiences)
    ):
        deadline.fulfilled_at = now
        deadline.fulfilled_by = update
        on_time = (
            now <= deadline.due_at and deadline.reminded_at is None
        )  # a sent reminder means missed
        deadline.outcome = Deadline.Outcome.MET if on_time else Deadline.Outcome.MISSED
        deadline.save(update_fields=["fulfilled_at", "fulfilled_by", "outcome"])
    if not incident.is_open:
        return due_times
    for audience in audiences:
        minutes = cadence_minutes_for(playbook, audience, incident.severity)
        due = now + on_clock(incident, minutes)
        if update.next_update_at and now < update.next_update_at < due:
            due = update.next_update_at
        _open(incident, audience, minutes, now=now, update=update, due_at=due)
        due_times[audience] = due
    return due_times


def replan(incident: Incident, *, now: datetime) -> None:
    """Re-plan open deadlines after a severity change.

    Deadlines not yet reminded (nor snoozed) move to opened_at + the new
    cadence (never into the past: an overdue one falls due now); audiences
    the new severity no longer covers are cancelled; newly covered ones open.
    """
    playbook = Playbook.for_incident(incident)
    wanted = set(audiences_for(incident, playbook))
    for deadline in Deadline.objects.open().select_for_update().filter(incident=incident):
        if deadline.audience not in wanted:
            deadline.cancelled_at = now
            deadline.save(update_fields=["cancelled_at"])
            continue
        if deadline.reminded_at is not None or deadline.snoozed_at is not None:
            continue  # already missed, or the commander set the time by hand
        minutes = cadence_minutes_for(playbook, deadline.audience, incident.severity)
        deadline.cadence_minutes = minutes
        deadline.due_at = max(deadline.opened_at + on_clock(incident, minutes), now)
        deadline.save(update_fields=["cadence_minutes", "due_at"])
    open_initial_deadlines(incident, now=now)


def close_deadlines(incident: Incident, *, now: datetime) -> int:
    """Cancel open deadlines of an incident that has ended."""
    return Deadline.objects.open().filter(incident=incident).update(cancelled_at=now)


def snooze(*, deadline: Deadline, by: AbstractBaseUser, minutes: int, reason: str) -> Deadline:
    """Push a deadline back once, with a logged reason (the commander's call)."""
    reason = required_text(reason, "reason")
    if (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not 1 <= minutes <= MAX_SNOOZE_MINUTES
    ):
        raise DomainError(
            f"minutes must be a whole number from 1 to {MAX_SNOOZE_MINUTES}.", field="minutes"
        )
    with transaction.atomic():
        deadline = (
            Deadline.objects.select_for_update().select_related("incident").get(pk=deadline.pk)
        )
        if not rights.holds(by, deadline.incident, Role.COMMANDER):
            raise NotPermitted("Only the incident commander may snooze a deadline.")
        if not deadline.is_open:
            raise Conflict("This deadline is closed.")
        if deadline.snoozed_at is not None:
            raise Conflict("A deadline can be snoozed once.")
        if deadline.escalated_at is not None:
            raise Conflict("This deadline has already been escalated.")
        now = timezone.now()
        previous = deadline.due_at
        deadline.due_at = max(deadline.due_at, now) + on_clock(deadline.incident, minutes)
        deadline.snoozed_at, deadline.snoozed_by, deadline.snooze_reason = now, by, reason
        deadline.save(update_fields=["due_at", "snoozed_at", "snoozed_by", "snooze_reason"])
        append_entry(
            incident=deadline.incident,
            kind=EntryKind.SNOOZE,
            actor=by,
            actor_role=Role.COMMANDER,
            summary=f"{Audience(deadline.audience).label} update deadline snoozed {minutes} min: {reason}",
            data={
                "audience": deadline.audience,
                "from": previous.isoformat(),
                "to": deadline.due_at.isoformat(),
                "minutes": minutes,
                "reason": reason,
            },
        )
    return deadline


# --- The periodic claim ---------------------------------------------------------------------


def _holders(incident: Incident, roles: list[str]) -> list[AbstractBaseUser]:
    return [
        a.user
        for a in RoleAssignment.objects.active()
        .filter(incident=incident, role__in=roles)
        .select_related("user")
    ]


def _claim(deadline_id: int, field: str, *, now: datetime, **conditions: object) -> bool:
    """Mark one row as taken with a conditional UPDATE; True if this caller won it."""
    values: dict[str, object] = {field: now}
    if field == "reminded_at":
        values["outcome"] = Deadline.Outcome.MISSED
    return Deadline.objects.open().filter(pk=deadline_id, **conditions).update(**values) == 1


def remind(deadline_id: int, *, now: datetime) -> bool:
    """Send the reminder for one due deadline, once; record the slot as missed."""
    with transaction.atomic():
        if not _claim(
            deadline_id, "reminded_at", now=now, reminded_at__isnull=True, due_at__lte=now
        ):
            return False
        deadline = Deadline.objects.select_related("incident").get(pk=deadline_id)
        audience = Audience(deadline.audience).label
        message = f"The {audience.lower()} update for {deadline.incident.reference} was due at {deadline.due_at:%H:%M} UTC."
        users = _holders(deadline.incident, rights.PUBLISHING_ROLES)  # those who can publish it
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
                "notified": sorted(u.get_username() for u in users),
            },
        )
        fanout.enqueue_after_commit(rows)
    return True


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


def run_due(*, now: datetime | None = None) -> dict[str, int]:
    """Claim and act on every due reminder and escalation step; safe to run anywhere, any time.

    1. Reminders: open deadlines past due and not yet reminded.
    2. Escalations: reminded deadlines with a step of their path due and not
       sent. Candidates are read in a constant number of queries (the rows
       with their incidents and affected models, the active playbooks, the
       fastest open drill); which step is due is decided in Python per row,
       on the row's own playbook and clock; only due rows cost a claim.
    Each row is claimed by its own conditional UPDATE in its own transaction.
    """
    now = now or timezone.now()
    reminded = sum(
        remind(pk, now=now)
        for pk in Deadline.objects.open()
        .filter(reminded_at__isnull=True, due_at__lte=now)
        .values_list("pk", flat=True)
    )
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
        .filter(reminded_at__isnull=False, escalation_step__lt=longest, due_at__lte=now - min_grace)
        .select_related("incident")
        .prefetch_related("incident__affected_models")
    )
    escalated = 0
    for deadline in candidates:
        playbook = Playbook.for_incident(deadline.incident, candidates=playbooks)
        if due_steps(deadline, playbook, now=now) > deadline.escalation_step:
            escalated += _escalate(deadline, playbook, now=now)
    return {"reminded": reminded, "escalated": escalated}
