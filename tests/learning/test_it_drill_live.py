"""A drill end to end at a high clock factor with a real Celery worker, beat and Redis.

Factor 300: the fraud scenario's 60 drill minutes take 12 wall seconds and
its 30-minute cadence falls due after 6 s. Beat ticks every second
(CADENCE_TICK_SECONDS=1), so each replay step and each reminder lands up to
about a second (5 drill minutes) after it is due, plus the worker's latency:
that jitter is inherent, so the test bounds it, and then checks that every
debrief score equals what the recorded wall times say, exactly.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from comms.models import Deadline, Delivery
from comms.services import create_draft, publish_update
from incidents.choices import EntryKind, Phase
from incidents.decision_log.models import DecisionLogEntry
from incidents.decisions import record_decision
from incidents.models import MetricPoint
from incidents.services import reach_milestone
from learning.drills import runs
from learning.models import Drill
from tests.fixtures.delivery import CELERY, CeleryProcess, subprocess_env
from tests.helpers import wait_until

FACTOR = 300
TICK = timedelta(seconds=1)
LATENCY = timedelta(
    seconds=4
)  # a tick's period plus generous worker latency on a shared 2-core machine


@pytest.fixture
def fast_beat(celery_redis, tmp_path: Path):
    """Beat with the cadence and learning ticks every second, the sweeper every second."""
    argv = [
        CELERY,
        "-A",
        "console",
        "beat",
        "--loglevel",
        "INFO",
        "-s",
        str(tmp_path / "beat-schedule"),
        "--pidfile",
        str(tmp_path / "beat.pid"),
    ]
    env = subprocess_env(
        celery_redis,
        CADENCE_TICK_SECONDS="1",
        DELIVERY_SWEEP_SECONDS="1",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    beat = CeleryProcess(argv, env, tmp_path / "beat.log").start()
    # Start the drill once beat ticks: its start-up is not part of the replay's jitter.
    wait_until(
        lambda: "Sending due task learning-tick" in beat.log(),
        timeout=30,
        what="beat's first learning tick",
    )
    yield beat
    beat.stop()


def minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() * FACTOR / 60, 2)


def expected_outcome(d: Deadline) -> str | None:
    """The cadence rule, from the recorded times: met if published by its due time and before any reminder."""
    if (
        d.fulfilled_at
        and d.fulfilled_at <= d.due_at
        and (d.reminded_at is None or d.reminded_at > d.fulfilled_at)
    ):
        return "met"
    if d.reminded_at is not None or (d.fulfilled_at and d.fulfilled_at > d.due_at):
        return "missed"
    return None


def test_a_drill_runs_to_its_debrief_on_a_real_worker_and_beat(
    transactional_db, commander, fraud_model, celery_worker_process, fast_beat
):
    drill = runs.start_drill(by=commander, scenario="fraud-fp-surge", clock_factor=FACTOR)
    incident = drill.incident
    # The cadence runs on the drill clock: 30 drill minutes are 6 wall seconds.
    assert {d.due_at - d.opened_at for d in Deadline.objects.filter(incident=incident)} == {
        timedelta(seconds=6)
    }

    # The commander publishes to technical and executive at once (well before the 6 s due time).
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed="Looking into declines",
        renditions={a: {"summary": "Card declines are up"} for a in ("technical", "executive")},
    )
    publish_update(update=update, by=commander)
    # The head of payments' decision request (drill minute 15, wall 3 s) arrives through the worker;
    # the commander decides it at once and contains.
    request = wait_until(
        lambda: DecisionLogEntry.objects.filter(
            incident=incident, kind=EntryKind.DECISION_REQUEST
        ).first(),
        timeout=20,
        what="the injected decision request",
    )
    assert request.actor_label == "drill: head of payments"
    decision = record_decision(
        incident=incident,
        by=commander,
        decision_type="rollback_model",
        decision="Roll the pipeline back",
        rationale="FP doubled after the release",
        settles=request,
    )
    contained = reach_milestone(
        incident=incident, phase=Phase.CONTAINED, indicator="FP < 3 %", by=commander
    )

    # The END step (drill minute 60, wall 12 s) finishes the drill and writes the debrief.
    drill = wait_until(
        lambda: Drill.objects.filter(pk=drill.pk, debriefed_at__isnull=False).first(),
        timeout=40,
        what="the drill's END step and debrief",
    )
    incident.refresh_from_db()
    assert drill.status == "completed" and incident.phase == Phase.RESOLVED

    # 1. Every step was applied once, within a tick (plus latency) of its due time.
    steps = list(drill.steps.order_by("index"))
    assert all(s.applied_at is not None for s in steps)
    for s in steps:
        assert timedelta(0) <= s.applied_at - s.due_at <= LATENCY, (
            s.index,
            s.applied_at - s.due_at,
        )
    # Metric points carry their drill-clock time exactly, flagged as drill data.
    trace = drill.scenario_data["traces"][0]["points"]
    assert list(
        MetricPoint.objects.filter(model=fraud_model).values_list("timestamp", "value", "is_drill")
    ) == [(drill.started_at + timedelta(minutes=m) / FACTOR, v, True) for m, v in trace]
    # The injected events were logged and the commander's in-app notices delivered by the worker.
    assert list(
        DecisionLogEntry.objects.filter(
            incident=incident, actor_label__startswith="drill:"
        ).values_list("actor_label", flat=True)
    ) == ["drill: executive", "drill: head of payments", "drill: regulator liaison"]
    wait_until(
        lambda: (
            Delivery.objects.filter(incident=incident, kind="drill", status="delivered").count()
            == 3
        ),
        timeout=20,
        what="the drill notices delivered",
    )

    # 2. The debrief equals what the record says, in drill minutes.
    d = drill.debrief
    scores = {s["key"]: s for s in d["scores"]}
    ttd = minutes(decision.recorded_at - request.recorded_at)
    ttc = minutes(contained.reached_at - incident.detected_at)
    assert (scores["time_to_decision"]["actual"], scores["time_to_decision"]["passed"]) == (
        ttd,
        ttd <= 10,
    )
    assert (scores["time_to_containment"]["actual"], scores["time_to_containment"]["passed"]) == (
        ttc,
        ttc <= 30,
    )
    deadlines = list(Deadline.objects.filter(incident=incident).order_by("due_at", "pk"))
    outcomes = [(dl.audience, expected_outcome(dl)) for dl in deadlines]
    assert [(dl.audience, dl.outcome or None) for dl in deadlines] == outcomes
    met = sum(1 for _, o in outcomes if o == "met")
    decided = sum(1 for _, o in outcomes if o)
    assert scores["cadence_kept"]["actual"] == round(100 * met / decided, 1)
    assert scores["cadence_kept"]["detail"] == f"{met} of {decided} update slots met"
    assert [(m["audience"], m["due_minute"]) for m in d["missed_deadlines"]] == [
        (dl.audience, minutes(dl.due_at - drill.started_at))
        for dl in deadlines
        if dl.outcome == "missed"
    ]
    assert d["replayed"] == {"steps": 13, "applied": 13, "events": 3, "metric_points": 9}

    # 3. What the scenario was built to show, given the actions above: the request came at
    #    drill minute 15 (+ one tick) and was decided at once (within its 10-minute target);
    #    the update beat the 6 s due time; the customer slot (which the commander cannot
    #    publish to) was missed.
    assert scores["time_to_decision"]["passed"]
    assert minutes(request.recorded_at - drill.started_at) == pytest.approx(
        15, abs=minutes(LATENCY)
    )
    assert ("customer", "missed") in outcomes
    assert outcomes.count(("technical", "met")) == outcomes.count(("executive", "met")) == 1
