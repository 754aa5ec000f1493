"""The update cadence: deadlines per incident and audience, planned here, claimed by a tick.

Deadlines are rows. Publishing an update for an audience fulfils its open
deadline (met if on time, missed if late) and opens the next one; a severity
change re-plans them, the end of an incident closes them (comms.workflows),
and the commander may snooze one. Reminders and escalations of what falls due
are the periodic tick's (comms.cadence_tick), which builds on this module.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.utils import timezone

from comms.models import Deadline, StatusUpdate
from incidents import rights
from incidents.choices import DEFAULT_NOTIFICATION_THRESHOLDS, Audience, EntryKind, Role
from incidents.decision_log.chain import append_entry
from incidents.models import Incident, Playbook, cadence_minutes_for
from kit.errors import Conflict, DomainError, NotPermitted
from kit.text import required_text

MAX_SNOOZE_MINUTES = 60


def audiences_for(incident: Incident, playbook: Playbook | None) -> list[str]:
    """Return the audiences that get updates (and deadlines) at the incident's severity."""
    thresholds = {
        **DEFAULT_NOTIFICATION_THRESHOLDS,
        **(playbook.notification_thresholds if playbook else {}),
    }
    return [a for a in Audience.values if incident.severity <= thresholds.get(a, 0)]


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
        deadline.snoozed_at, deadline.snoozed_by, deadline.snooze_reason = (
            now,
            cast(User, by),
            reason,
        )
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
