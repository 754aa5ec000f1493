"""One completed drill with its debrief for the demo, built by replaying a scenario's steps.

`seed_drill()` runs the recommender scenario at 60× through the real
services with an injected clock: starting yesterday, it moves the clock one
drill minute (one wall second) at a time, applies the due replay steps and
cadence deadlines (as the learning and cadence ticks would), and a scripted
commander decides the injected request, publishes updates and reaches
containment at set drill minutes. So the debrief is exact and the seed is
quick. The commander skips the second executive update on purpose, so the
debrief shows a missed deadline; two improvements are recorded after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from comms import cadence_tick, workflows
from comms.services import create_draft, publish_update
from incidents.choices import EntryKind, Phase
from incidents.decision_log.models import DecisionLogEntry
from incidents.decisions import record_decision
from learning.drills import runs
from learning.models import ActionItem, Drill

SCENARIO = "recommender-latency-peak"
FACTOR = 60
STARTED_AGO = timedelta(days=1)


@contextmanager
def injected_clock(start: datetime) -> Iterator[list[datetime]]:
    """Make django.utils.timezone.now() return `clock[0]` (set it to move time). Single-threaded use only."""
    clock = [start]
    with mock.patch.object(timezone, "now", lambda: clock[0]):
        yield clock


def seed_drill(
    *, commander: AbstractBaseUser, owner: AbstractBaseUser, say: Callable[[str], None] = print
) -> Drill:
    """Return the demo's completed drill, replaying it first if there is none (idempotent)."""
    done = Drill.objects.filter(
        scenario=SCENARIO, status=Drill.Status.COMPLETED, debriefed_at__isnull=False
    ).first()
    if done is not None:
        return done
    with injected_clock((timezone.now() - STARTED_AGO).replace(second=0, microsecond=0)) as clock:
        drill = _replay(commander, clock)
    in_two_weeks = timezone.now() + timedelta(days=14)
    for title, who, outcome, category in (
        (
            "Page on checkout p95 above 400 ms for 3 minutes",
            owner,
            "The latency spike pages the on-call before customers notice.",
            ActionItem.Category.MONITORING,
        ),
        (
            "Keep a second executive update in the drill rota",
            commander,
            "No executive slot is missed in the next drill.",
            ActionItem.Category.GOVERNANCE,
        ),
    ):
        runs.add_improvement(
            drill=drill,
            by=commander,
            title=title,
            owner=who,
            due_at=in_two_weeks,
            expected_outcome=outcome,
            category=category,
        )
    say(
        f"Drill {drill.pk} ({SCENARIO}) replayed at {FACTOR}x: {'passed' if drill.debrief.get('passed') else 'not passed'}"
    )
    return drill


def _replay(commander: AbstractBaseUser, clock: list[datetime]) -> Drill:
    """Start the drill and run it to its END step, one drill minute per clock move."""
    drill = runs.start_drill(by=commander, scenario=SCENARIO, clock_factor=FACTOR)
    incident = drill.incident

    def publish(*audiences: str, text: str) -> None:
        update = create_draft(
            incident=incident,
            by=commander,
            what_changed=text,
            renditions={a: {"summary": text} for a in audiences},
        )
        publish_update(update=update, by=commander)

    def decide() -> bool:
        request = DecisionLogEntry.objects.filter(
            incident=incident, kind=EntryKind.DECISION_REQUEST
        ).first()
        if request is None:
            return False
        record_decision(
            incident=incident,
            by=commander,
            decision_type=request.data["decision_type"],
            decision="Serve best-sellers at checkout until latency recovers",
            rationale="Checkout speed matters more than personalisation at peak",
            settles=request,
        )
        return True

    # (drill minute, action): an action returning False is retried on the next pass.
    script: list[tuple[float, Callable[[], bool | None]]] = [
        (7, decide),
        (
            8,
            lambda: publish(
                "technical",
                "executive",
                text="Checkout recommendations are slow; we are falling back to best-sellers.",
            ),
        ),
        (
            12,
            lambda: bool(
                workflows.reach_milestone(
                    incident=incident,
                    phase=Phase.CONTAINED,
                    by=commander,
                    indicator="Checkout p95 under 400 ms on best-sellers",
                )
            ),
        ),
        (
            36,
            lambda: publish(
                "technical",
                text="Cache node replaced; live recommendations back for 10 % of traffic.",
            ),
        ),
    ]
    minute = 0
    while drill.status == Drill.Status.RUNNING:
        now = clock[0]
        cadence_tick.run_due(now=now)  # what the cadence tick does
        runs.run_due(now=now)  # what the learning tick does; the END step finishes the drill
        drill.refresh_from_db()
        while (
            drill.status == Drill.Status.RUNNING
            and script
            and script[0][0] <= minute
            and script[0][1]() is not False
        ):
            script.pop(0)
        minute += 1
        if minute > drill.scenario_data["duration_minutes"] + 1:
            runs.abort_drill(drill=drill, by=commander)  # cannot happen: the END step is due by now
            drill.refresh_from_db()
        clock[0] = drill.started_at + timedelta(minutes=minute) / FACTOR
    return drill
