"""Plan the regulatory deadlines of an incident, and the tick that reminds and escalates.

`plan()` turns the current triages and moments into obligation rows (called after
every triage, moment and submission, inside their transaction). `run_due()` is
beat's tick: it claims the rows whose next action has come, with SKIP LOCKED and
a conditional state change, so two beats or workers never send the same reminder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from comms import fanout
from comms.models import Delivery
from incidents.choices import EntryKind, Role
from incidents.decision_log.chain import append_entry
from incidents.models import Incident, RoleAssignment
from regulatory import regimes
from regulatory.models import Moment, Obligation, Triage

TICK_BATCH = 100
REMINDED_ROLES: list[str] = [Role.REGULATOR, Role.COMMANDER]
ESCALATED_ROLES: list[str] = [Role.REGULATOR, Role.COMMANDER, Role.EXECUTIVE]


def moment_times(incident: Incident) -> dict[str, datetime]:
    """The moments clocks start from: recorded ones, else the declaration."""
    times = {name: incident.declared_at for name in regimes.MOMENTS}
    for moment in Moment.objects.filter(incident=incident, superseded_at__isnull=True):
        times[moment.name] = moment.at
    return times


def reminder_points(obligation: Obligation, factor: int) -> list[datetime]:
    """When to remind: at 25 % of the window left and an hour before (on the drill's clock),
    as REGULATORY_REMINDER_PERCENT_LEFT and REGULATORY_REMINDER_MINUTES_BEFORE set; 0 turns one off."""
    if obligation.due_at is None or obligation.starts_at is None:
        return []
    window = obligation.due_at - obligation.starts_at
    share_left = min(settings.REGULATORY_REMINDER_PERCENT_LEFT, 100) / 100
    before = timedelta(minutes=settings.REGULATORY_REMINDER_MINUTES_BEFORE)
    points = {obligation.due_at - window * share_left, obligation.due_at - before / factor}
    return sorted(p for p in points if obligation.starts_at < p < obligation.due_at)


def next_action(obligation: Obligation, factor: int) -> datetime | None:
    if obligation.due_at is None or obligation.submitted_at or obligation.cancelled_at:
        return None
    points = reminder_points(obligation, factor)
    if obligation.reminders_sent < len(points):
        return points[obligation.reminders_sent]
    return None if obligation.escalated_at else obligation.due_at


def _schedule(
    report: regimes.Report,
    answers: dict[str, bool],
    moments: dict[str, datetime],
    submitted: dict[str, datetime],
    factor: int,
) -> tuple[datetime | None, datetime | None, str, str]:
    """Return (starts_at, due_at, window, cite) for a report; no start while its moment is not reached."""
    terms = report.terms(answers)

    def start_of(term: regimes.Term) -> datetime | None:
        if term.start.startswith(regimes.SUBMITTED):
            return submitted.get(term.start[len(regimes.SUBMITTED) :])
        return moments.get(term.start)

    main = terms[0]
    starts_at = start_of(main)
    if starts_at is None:
        return None, None, main.within.text, main.cite
    ends = [(t.within.after(s, factor=factor), t) for t in terms if (s := start_of(t)) is not None]
    due_at, binding = min(ends, key=lambda pair: pair[0])
    return starts_at, due_at, binding.within.text, binding.cite


def plan(incident: Incident, *, now: datetime) -> list[Obligation]:
    """Bring the incident's obligations in line with its triages and moments; return what changed.

    Call inside a transaction that holds the incident's row lock. Submitted
    obligations never move; those of regimes that no longer apply are cancelled.
    """
    factor = max(incident.clock_factor, 1)
    moments = moment_times(incident)
    current = {
        (o.regime, o.report): o for o in Obligation.objects.current().filter(incident=incident)
    }
    changed: list[Obligation] = []
    needed: set[tuple[str, str]] = set()
    for triage in Triage.objects.filter(
        incident=incident, superseded_at__isnull=True, applies=True
    ):
        regime = regimes.get(triage.regime)
        if regime is None:
            continue
        submitted = {
            o.report: o.submitted_at
            for (slug, _), o in current.items()
            if slug == regime.slug and o.submitted_at
        }
        for report in regime.reports:
            needed.add((regime.slug, report.key))
            starts_at, due_at, window, cite = _schedule(
                report, triage.answers, moments, submitted, factor
            )
            obligation = current.get((regime.slug, report.key))
            if obligation is None:
                obligation = Obligation(
                    incident=incident,
                    triage=triage,
                    regime=regime.slug,
                    report=report.key,
                    title=f"{regime.short_name}: {report.title}",
                    clock_from=report.clock.start,
                    is_drill=incident.is_drill,
                    created_at=now,
                )
            elif obligation.submitted_at or (
                (obligation.starts_at, obligation.due_at, obligation.window, obligation.triage_id)
                == (starts_at, due_at, window, triage.pk)
            ):
                continue
            obligation.triage = triage
            obligation.starts_at, obligation.due_at = starts_at, due_at
            obligation.window, obligation.cite = window, cite
            obligation.escalated_at = None
            obligation.outcome = ""
            # Of the reminder points already past, only the latest is still sent.
            passed = sum(1 for p in reminder_points(obligation, factor) if p <= now)
            obligation.reminders_sent = max(passed - 1, 0)
            obligation.next_action_at = next_action(obligation, factor)
            obligation.save()
            changed.append(obligation)
    for key, obligation in current.items():
        if key not in needed and not obligation.submitted_at:
            obligation.cancelled_at = now
            obligation.next_action_at = None
            obligation.save(update_fields=["cancelled_at", "next_action_at"])
            changed.append(obligation)
    return changed


# --- The tick ---------------------------------------------------------------------------------


def _holders(incident_ids: set[int], roles: list[str]) -> dict[int, list[User]]:
    found: dict[int, list[User]] = {}
    for assignment in (
        RoleAssignment.objects.active()
        .filter(incident_id__in=incident_ids, role__in=roles)
        .select_related("user")
        .order_by("pk")
    ):
        found.setdefault(assignment.incident_id, []).append(assignment.user)
    return found


def _payload(kind: str, obligation: Obligation, title: str, message: str) -> dict[str, Any]:
    return {
        "type": f"incident.obligation.{kind}",
        "title": title,
        "message": message,
        "incident": fanout.incident_payload(obligation.incident),
        "obligation": {
            "regime": obligation.regime,
            "report": obligation.report,
            "title": obligation.title,
            "due_at": obligation.due_at.isoformat() if obligation.due_at else None,
        },
    }


def _act(
    obligation: Obligation, holders: dict[int, list[User]], *, now: datetime
) -> list[Delivery]:
    """Send the reminder or escalation that is due for one claimed obligation."""
    incident = obligation.incident
    if obligation.due_at is None:  # re-planned to "not started" since it was claimed
        return []
    factor = max(incident.clock_factor, 1)
    drill = "[DRILL] " if incident.is_drill else ""
    users = holders.get(incident.pk, [])
    due = f"{obligation.due_at:%Y-%m-%d %H:%M} UTC"
    if now >= obligation.due_at:
        kind, entry_kind = "escalation", EntryKind.ESCALATION
        obligation.escalated_at = now
        obligation.outcome = Obligation.Outcome.MISSED
        obligation.reminders_sent = len(reminder_points(obligation, factor))
        title = f"{drill}Missed: {obligation.title} for {incident.reference} was due {due}"
        message = f"The {obligation.title} is overdue (due {due}, {obligation.cite}). Submit it now and record why it is late."
    else:
        kind, entry_kind = "reminder", EntryKind.REMINDER
        points = reminder_points(obligation, factor)
        obligation.reminders_sent = sum(1 for p in points if p <= now)
        obligation.reminded_at = now
        left = obligation.due_at - now
        hours = left.total_seconds() / 3600 * factor
        title = f"{drill}Due in {hours:.1f} h: {obligation.title} for {incident.reference}"
        message = f"The {obligation.title} is due {due} ({obligation.cite})."
    obligation.next_action_at = next_action(obligation, factor)
    obligation.save(
        update_fields=[
            "escalated_at",
            "outcome",
            "reminders_sent",
            "reminded_at",
            "next_action_at",
        ]
    )
    rows = fanout.write_notices(
        kind=Delivery.Kind.REGULATORY,
        incident=incident,
        users=users,
        payload=_payload(kind, obligation, title, message),
        now=now,
    )
    append_entry(
        incident=incident,
        kind=entry_kind,
        actor_label="regulatory clock",
        summary=title.removeprefix(drill),
        data={
            "obligation": obligation.pk,
            "regime": obligation.regime,
            "report": obligation.report,
            "due_at": obligation.due_at.isoformat(),
            "notified": sorted({u.get_username() for u in users}),
        },
    )
    return rows


def run_due(*, now: datetime | None = None, limit: int = TICK_BATCH) -> int:
    """Claim up to `limit` obligations whose next action has come, act on each; return how many."""
    now = now or timezone.now()
    due = Obligation.objects.filter(next_action_at__lte=now, cancelled_at__isnull=True)
    if not due.exists():  # the usual tick: one query, no transaction
        return 0
    with transaction.atomic():
        ids = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_action_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return 0
        obligations = list(
            Obligation.objects.filter(pk__in=ids).select_related("incident").order_by("pk")
        )
        incident_ids = {o.incident_id for o in obligations}
        reminded = _holders(incident_ids, REMINDED_ROLES)
        escalated = _holders(incident_ids, ESCALATED_ROLES)
        rows: list[Delivery] = []
        for obligation in obligations:
            late = obligation.due_at is not None and now >= obligation.due_at
            holders = escalated if late else reminded
            rows += _act(obligation, holders, now=now)
        fanout.enqueue_after_commit(rows)
    return len(ids)
