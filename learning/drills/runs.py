"""A drill's run: start, the replay on an accelerated clock, and the end with its debrief.

Starting a drill declares a drill incident through comms.workflows (its
`clock_factor` is the chosen acceleration, `suppress_external` the starter's
choice) and writes one DrillStep row per metric point, stakeholder event and
the end, due at started_at + offset / factor. The learning tick (`run_due`)
claims due steps with a conditional UPDATE and applies them; the END step
finishes the drill and computes its debrief. The scenarios come from
learning.drills.library.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from comms import fanout, workflows
from comms.models import Channel, Delivery
from incidents import permissions, rights
from incidents.choices import OPEN_PHASES, DecisionType, EntryKind, ExposureLevel, Phase, Role
from incidents.decision_log.chain import append_entry
from incidents.models import MetricPoint, MonitoredModel, RoleAssignment
from kit.errors import Conflict, DomainError, NotPermitted
from learning import actions, debrief
from learning.drills.library import Scenario, get_scenario
from learning.models import ActionItem, Drill, DrillStep

log = logging.getLogger(__name__)

MIN_FACTOR = 1
MAX_FACTOR = 600
DRILL_PREFIX = "[DRILL] "


# --- Starting ------------------------------------------------------------------------------


def check_factor(factor: Any) -> int:
    if (
        isinstance(factor, bool)
        or not isinstance(factor, int)
        or not MIN_FACTOR <= factor <= MAX_FACTOR
    ):
        raise DomainError(
            f"clock_factor must be a whole number from {MIN_FACTOR} to {MAX_FACTOR} (drill minutes per wall minute).",
            field="clock_factor",
        )
    return factor


def _model_for(spec: dict[str, Any]) -> MonitoredModel:
    """Reuse the watched model of that slug (the demo's, say); create it if missing.

    A model created here exists only for drills: marked `is_drill`, it never
    shows on public surfaces such as the Statuspage components.
    """
    fields = {k: spec[k] for k in ("name", "team", "business_function", "risk_tier")} | {
        "is_drill": True
    }
    model, _ = MonitoredModel.objects.get_or_create(slug=spec["slug"], defaults=fields)
    return model


def _steps(scenario: Scenario) -> list[tuple[str, float, dict[str, Any]]]:
    """Return (kind, drill-minute offset, data) for every step, in replay order."""
    data = scenario.data
    steps: list[tuple[str, float, dict[str, Any]]] = []
    for trace in data["traces"]:
        for minute, value in trace["points"]:
            steps.append(
                (DrillStep.Kind.METRIC, minute, {"metric": trace["metric"], "value": value})
            )
    for event in data["events"]:
        steps.append((DrillStep.Kind.EVENT, event["at_minutes"], dict(event)))
    steps.sort(
        key=lambda s: (s[1], s[0] != DrillStep.Kind.METRIC)
    )  # stable: metrics first at one instant
    steps.append((DrillStep.Kind.END, data["duration_minutes"], {}))
    return steps


def wall_delta(drill_minutes: float, factor: int) -> timedelta:
    """Return the wall-clock duration of `drill_minutes` at `factor`."""
    return timedelta(minutes=drill_minutes) / max(1, factor)


def start_drill(
    *, by: AbstractBaseUser, scenario: str, clock_factor: int, suppress_external: bool = False
) -> Drill:
    """Declare the drill incident, with its clock factor, and schedule the replay.

    1. Only commander-eligible users start drills; the starter commands it.
    2. In one transaction: the incident, declared through comms.workflows
       (is_drill, "[DRILL]" title, the factor set before the first deadlines
       open, so the cadence runs on the drill clock, and `suppress_external`,
       which keeps comms off external channels), a log note naming the scenario, its version and digest,
       the Drill row and one DrillStep per metric point, event and the end.
    """
    if not permissions.is_commander_eligible(by):
        raise NotPermitted("Only commander-eligible users may start drills.")
    found = get_scenario(scenario)
    factor = check_factor(clock_factor)
    data = found.data
    spec = data["incident"]
    with transaction.atomic():
        model = _model_for(data["model"])
        incident = workflows.declare_incident(
            by=by,
            title=(DRILL_PREFIX + found.title)[:200],
            severity=data["severity"],
            is_drill=True,
            scope=spec.get("scope", ""),
            summary=spec.get("summary", ""),
            models=[(model, "")],
            customers_affected=spec.get("customers_affected", 0),
            revenue_at_risk_per_hour=spec.get("revenue_at_risk_per_hour", 0),
            regulatory_exposure=spec.get("regulatory_exposure", ExposureLevel.NONE),
            detection_indicator=f"Drill scenario {found.slug} v{found.version}",
            clock_factor=factor,
            suppress_external=bool(suppress_external),
        )
        started = incident.declared_at
        drill = Drill.objects.create(
            incident=incident,
            scenario=found.slug,
            scenario_title=found.title,
            scenario_digest=found.digest,
            scenario_data=data,
            clock_factor=factor,
            suppress_external=bool(suppress_external),
            started_at=started,
            started_by=cast(User, by),  # AUTH_USER_MODEL
        )
        DrillStep.objects.bulk_create(
            DrillStep(
                drill=drill,
                index=i,
                kind=kind,
                offset_seconds=minutes * 60,
                due_at=started + wall_delta(minutes, factor),
                data=step,
            )
            for i, (kind, minutes, step) in enumerate(_steps(found))
        )
        append_entry(
            incident=incident,
            kind=EntryKind.NOTE,
            actor=by,
            summary=f"Drill started: scenario {found.slug} v{found.version} at {factor}× "
            f"({found.duration_minutes:g} drill minutes in {found.duration_minutes / factor:.1f} wall minutes)"
            + ("; external notifications suppressed" if suppress_external else ""),
            data={
                "drill": drill.pk,
                "scenario": found.slug,
                "version": found.version,
                "digest": found.digest,
                "clock_factor": factor,
                "suppress_external": bool(suppress_external),
            },
        )
    return drill


# --- The replay ------------------------------------------------------------------------------


def drill_now(drill: Drill, now: datetime) -> timedelta:
    """Return the drill clock at wall time `now`: time since the start × factor (frozen once finished)."""
    end = min(now, drill.finished_at) if drill.finished_at else now
    return max(end - drill.started_at, timedelta(0)) * drill.clock_factor


def run_due(*, now: datetime) -> int:
    """Apply the replay steps that are due (of running drills); return how many this call applied.

    Each step is claimed by a conditional UPDATE (applied_at IS NULL -> now)
    in its own transaction with its effect, so two workers never apply one
    step twice, and a failure rolls the claim back for the next tick. A drill
    whose incident was resolved from its console ends first (its remaining
    steps are skipped).
    """
    # A drill whose incident the commander resolved from its console ends first, with its debrief.
    closed = Drill.objects.filter(status=Drill.Status.RUNNING).exclude(
        incident__phase__in=OPEN_PHASES
    )
    for pk in closed.values_list("pk", flat=True):
        try:
            finish_drill(drill_id=pk, by=None, status=Drill.Status.COMPLETED, now=now)
        except Conflict:
            pass  # finished meanwhile
        except Exception:  # noqa: BLE001 - retried at the next tick; the other drills go on
            log.exception("Drill %s could not be finished", pk)
    due = list(
        DrillStep.objects.filter(
            applied_at__isnull=True, due_at__lte=now, drill__status=Drill.Status.RUNNING
        )
        .order_by("due_at", "drill_id", "index")
        .values_list("pk", flat=True)
    )
    applied = 0
    for pk in due:
        try:
            applied += apply_step(pk, now=now)
        except Exception:  # noqa: BLE001 - one bad step must not stop the others; it stays due
            log.exception("Drill step %s failed; it stays due", pk)
    return applied


def apply_step(step_id: int, *, now: datetime) -> bool:
    """Claim one step and apply it; False if another worker had it (or its drill ended)."""
    with transaction.atomic():
        # Conditions on this table only: a condition through the drill join becomes an
        # "id IN (subquery)" that PostgreSQL does not re-check after waiting for a
        # concurrent claim, and both workers would win.
        if not Drill.objects.filter(steps__pk=step_id, status=Drill.Status.RUNNING).exists():
            return False
        if (
            DrillStep.objects.filter(pk=step_id, applied_at__isnull=True).update(applied_at=now)
            != 1
        ):
            return False
        step = DrillStep.objects.select_related("drill__incident").get(pk=step_id)
        drill = step.drill
        if step.kind == DrillStep.Kind.METRIC:
            _apply_metric(drill, step)
        elif step.kind == DrillStep.Kind.EVENT:
            _apply_event(drill, step, now=now)
        else:
            try:
                finish_drill(drill_id=drill.pk, by=None, status=Drill.Status.COMPLETED, now=now)
            except Conflict:
                pass  # the commander ended it at the same moment
    return True


def _apply_metric(drill: Drill, step: DrillStep) -> None:
    """Write the point at its due time (not the tick's), flagged as drill data."""
    model = drill.incident.affected_models.get(slug=drill.scenario_data["model"]["slug"])
    try:
        with transaction.atomic():
            MetricPoint.objects.create(
                model=model,
                metric=step.data["metric"],
                timestamp=step.due_at,
                value=step.data["value"],
                is_drill=True,
            )
    except IntegrityError:
        log.info(
            "Drill %s: a drill point of %s at %s exists already",
            drill.pk,
            step.data["metric"],
            step.due_at,
        )


def _label(event: dict[str, Any]) -> str:
    return f"drill: {event['from']}"


def _apply_event(drill: Drill, step: DrillStep, *, now: datetime) -> None:
    """Log the stakeholder's event (a decision request is one the log tracks) and tell the commander."""
    incident, event = drill.incident, step.data
    if not incident.is_open:
        return  # the commander closed the drill incident early: nobody left to ask
    if event["kind"] == "decision_request":
        label = DecisionType(event["decision_type"]).label.lower()
        entry = append_entry(
            incident=incident,
            kind=EntryKind.DECISION_REQUEST,
            actor_label=_label(event),
            summary=f"Decision needed ({label}): {event['text']}",
            data={
                "decision_type": event["decision_type"],
                "question": event["text"],
                "needed_by": None,
                "drill_step": step.index,
            },
        )
    else:
        entry = append_entry(
            incident=incident,
            kind=EntryKind.NOTE,
            actor_label=_label(event),
            summary=f"{event['from'].capitalize()}: {event['text']}",
            data={"drill_event": event["kind"], "from": event["from"], "drill_step": step.index},
        )
    commanders = [
        a.user
        for a in RoleAssignment.objects.active()
        .filter(incident=incident, role=Role.COMMANDER)
        .select_related("user")
    ]
    payload = {
        "type": "drill.event",
        "incident": fanout.incident_payload(incident),
        "title": f"{DRILL_PREFIX}{event['from'].capitalize()} ({event['kind'].replace('_', ' ')})",
        "message": f"{DRILL_PREFIX}{event['from'].capitalize()}: {event['text']}",
        "log_sequence": entry.sequence,
        "is_drill": True,
    }
    rows = Delivery.objects.bulk_create(
        # In-app only: a drill's injected events never leave the console.
        Delivery(
            kind=Delivery.Kind.DRILL_EVENT,
            incident=incident,
            user=user,
            channel=Channel.INAPP,
            payload=payload,
            is_drill=True,
            next_attempt_at=now,
            created_at=now,
        )
        for user in commanders
    )
    fanout.enqueue_after_commit(rows)


# --- The end ---------------------------------------------------------------------------------


def _may_run(user: AbstractBaseUser, drill: Drill) -> bool:
    return rights.may_lead(user, drill.incident)


def finish_drill(
    *, drill_id: int, by: AbstractBaseUser | None, status: str, now: datetime | None = None
) -> Drill:
    """End a running drill (completed at its END step or by the commander; or aborted) and debrief it.

    1. Claim the end with a conditional UPDATE (running -> status), so the END
       step and a commander's click never both finish it.
    2. Resolve the drill incident if it is still open (its deadlines close).
    3. Compute the debrief from the record and store it on the drill.
    """
    now = now or timezone.now()
    if by is not None:
        drill = Drill.objects.select_related("incident").get(pk=drill_id)
        if not _may_run(by, drill):
            raise NotPermitted(
                "Only the drill's commander or a commander-eligible user may end a drill."
            )
    with transaction.atomic():
        if (
            Drill.objects.filter(pk=drill_id, status=Drill.Status.RUNNING).update(
                status=status, finished_at=now
            )
            != 1
        ):
            raise Conflict("This drill has already ended.")
        drill = Drill.objects.select_related("incident").get(pk=drill_id)
        incident = drill.incident
        verb = "aborted" if status == Drill.Status.ABORTED else "completed"
        applied = drill.steps.filter(applied_at__isnull=False).count()
        append_entry(
            incident=incident,
            kind=EntryKind.NOTE,
            actor=by,
            actor_label="" if by else "drill",
            summary=f"Drill {verb} at drill minute {drill_now(drill, now).total_seconds() / 60:.0f} "
            f"({applied} of {drill.steps.count()} steps replayed)",
            data={"drill": drill.pk, "status": status},
        )
        if incident.is_open:
            workflows.reach_milestone(
                incident=incident,
                phase=Phase.RESOLVED,
                by=None,
                indicator=f"Drill {verb}"
                + (f" by {by.get_username()}" if by else ": end of scenario"),
            )
        drill.debrief = debrief.compute(drill, now=now)
        drill.debriefed_at = now
        drill.save(update_fields=["debrief", "debriefed_at"])
    return drill


def end_drill(*, drill: Drill, by: AbstractBaseUser) -> Drill:
    """The commander ends the drill now: remaining steps are skipped, the debrief scores what happened."""
    return finish_drill(drill_id=drill.pk, by=by, status=Drill.Status.COMPLETED)


def abort_drill(*, drill: Drill, by: AbstractBaseUser) -> Drill:
    """Stop the drill as aborted (it still gets a debrief, marked aborted)."""
    return finish_drill(drill_id=drill.pk, by=by, status=Drill.Status.ABORTED)


def add_improvement(
    *,
    drill: Drill,
    by: AbstractBaseUser,
    title: str,
    owner: AbstractBaseUser,
    due_at: datetime,
    expected_outcome: str,
    category: str,
) -> ActionItem:
    """Record an improvement from the debrief as an action item with an owner."""
    if not _may_run(by, drill):
        raise NotPermitted(
            "Only the drill's commander or a commander-eligible user records improvements."
        )
    if drill.status == Drill.Status.RUNNING:
        raise Conflict("The drill is still running; improvements come with its debrief.")
    return actions.create_action_item(
        incident=drill.incident,
        by=by,
        title=title,
        owner=owner,
        due_at=due_at,
        expected_outcome=expected_outcome,
        category=category,
        drill=drill,
    )
