"""Starting a drill, replaying it with an injected clock, ending it and its debrief."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from comms import cadence_tick
from comms.models import Deadline, Delivery
from incidents.choices import EntryKind, Phase
from incidents.decision_log.models import DecisionLogEntry
from incidents.decisions import record_decision
from incidents.models import Incident, MetricPoint
from incidents.services import reach_milestone
from kit.errors import Conflict, DomainError, NotPermitted
from learning.drills import library, runs
from learning.models import Drill, DrillStep
from tests.builders import publish
from tests.helpers import race

FRAUD = "fraud-fp-surge"


def start(commander, factor: int = 60, **kwargs) -> Drill:
    return runs.start_drill(by=commander, scenario=FRAUD, clock_factor=factor, **kwargs)


def test_starting_declares_a_drill_incident_on_the_drill_clock(clock, commander, fraud_model):
    drill = start(commander, 60)

    incident = drill.incident
    assert (incident.is_drill, incident.clock_factor, incident.severity) == (True, 60, 2)
    assert (
        incident.title == "[DRILL] Fraud model false-positive surge after a feature-pipeline change"
    )
    assert list(incident.affected_models.all()) == [fraud_model]  # the demo's model, reused by slug
    assert drill.started_at == incident.declared_at == clock.now
    assert drill.scenario_digest == library.get_scenario(FRAUD).digest
    # SEV2 without a playbook: 30-minute cadence for three audiences, due after 30 wall seconds at 60x.
    assert sorted(Deadline.objects.filter(incident=incident).values_list("audience", "due_at")) == [
        ("customer", clock.now + timedelta(seconds=30)),
        ("executive", clock.now + timedelta(seconds=30)),
        ("technical", clock.now + timedelta(seconds=30)),
    ]
    steps = list(drill.steps.values_list("kind", "offset_seconds", "due_at"))
    assert len(steps) == 9 + 3 + 1
    assert steps[-1] == ("end", 3600.0, clock.now + timedelta(seconds=60))
    events = [(k, o, d) for k, o, d in steps if k == "event"]
    assert events == [
        ("event", 600.0, clock.now + timedelta(seconds=10)),
        ("event", 900.0, clock.now + timedelta(seconds=15)),
        ("event", 1500.0, clock.now + timedelta(seconds=25)),
    ]
    note = DecisionLogEntry.objects.filter(incident=incident, kind=EntryKind.NOTE).get()
    assert note.data["clock_factor"] == 60 and note.data["scenario"] == FRAUD


def test_a_missing_model_is_created_from_the_scenario(clock, commander):
    drill = start(commander)
    model = drill.incident.affected_models.get()
    assert (model.slug, model.name, model.team, model.risk_tier) == (
        "fraud-scoring",
        "Fraud scoring",
        "Payments risk",
        1,
    )


@pytest.mark.parametrize("factor", [0, 601, -5, True, "60", 2.5, None])
def test_the_clock_factor_is_bounded(clock, commander, fraud_model, factor):
    with pytest.raises(
        DomainError, match=r"clock_factor must be a whole number from \d+ to \d+ \(drill"
    ) as caught:
        start(commander, factor)
    assert caught.value.field == "clock_factor"
    assert not Incident.objects.exists() and not Drill.objects.exists()


def test_an_unknown_scenario_is_refused_by_name(clock, commander):
    with pytest.raises(DomainError, match=r"Unknown scenario 'nope'; choose one of") as caught:
        runs.start_drill(by=commander, scenario="nope", clock_factor=60)
    assert caught.value.field == "scenario"
    assert not Incident.objects.exists()


def test_only_commander_eligible_users_start_drills(clock, responder, executive, fraud_model):
    for user in (responder, executive):
        with pytest.raises(NotPermitted, match=r"Only commander-eligible users may start drills\."):
            start(user)
    assert not Incident.objects.exists() and not Drill.objects.exists()


def test_run_due_applies_each_step_once_when_due(clock, commander, fraud_model):
    drill = start(commander, 60)
    assert runs.run_due(now=clock.now) == 1  # the first metric point, at T+0

    clock.advance(seconds=10)  # drill minute 10
    assert runs.run_due(now=clock.now) == 3  # points at 5 and 10, the executive's question at 10
    assert runs.run_due(now=clock.now) == 0

    points = list(
        MetricPoint.objects.filter(model=fraud_model).values_list("timestamp", "value", "is_drill")
    )
    start_at = drill.started_at
    assert points == [
        (start_at, 2.1, True),
        (start_at + timedelta(seconds=5), 3.8, True),
        (start_at + timedelta(seconds=10), 5.2, True),
    ]
    question = DecisionLogEntry.objects.filter(
        incident=drill.incident, actor_label="drill: executive"
    ).get()
    assert question.kind == EntryKind.NOTE
    assert (
        question.summary
        == "Executive: The COO asks for an ETA: when will card declines be back to normal?"
    )
    notice = Delivery.objects.get(incident=drill.incident, user=commander)
    assert (notice.channel, notice.is_drill, notice.payload["type"]) == (
        "inapp",
        True,
        "drill.event",
    )
    assert notice.payload["message"].startswith("[DRILL] Executive: The COO asks for an ETA")

    clock.advance(seconds=5)  # minute 15: the decision request
    assert runs.run_due(now=clock.now) == 2
    request = DecisionLogEntry.objects.get(incident=drill.incident, kind=EntryKind.DECISION_REQUEST)
    assert request.actor_label == "drill: head of payments"
    assert request.data["decision_type"] == "rollback_model"
    assert DrillStep.objects.filter(drill=drill, applied_at=clock.now).count() == 2


def test_a_late_tick_applies_everything_due_and_timestamps_points_on_the_drill_clock(
    clock, commander, fraud_model
):
    drill = start(commander, 600)  # 60 drill minutes in 6 s
    clock.advance(seconds=3)
    assert runs.run_due(now=clock.now) == 6 + 3  # minutes 0..30: six points, three events
    assert sorted(MetricPoint.objects.values_list("timestamp", flat=True))[
        -1
    ] == drill.started_at + timedelta(seconds=3)


def test_two_run_due_calls_never_apply_a_step_twice(clock, commander, fraud_model):
    drill = start(commander, 60)
    clock.advance(seconds=30)  # minutes 0..30: six points and three events
    assert runs.run_due(now=clock.now) + runs.run_due(now=clock.now) == 9
    assert (
        DecisionLogEntry.objects.filter(
            incident=drill.incident, actor_label__startswith="drill:"
        ).count()
        == 3
    )


def test_two_workers_racing_never_double_apply(
    postgres_only, transactional_db, commander, fraud_model
):
    """Two threads (two PostgreSQL connections) claim the same due steps at once."""
    drill = start(commander, 600)
    now = drill.started_at + timedelta(seconds=3)
    results = race(lambda: runs.run_due(now=now))
    assert sum(results) == 9
    assert DrillStep.objects.filter(drill=drill, applied_at__isnull=False).count() == 9
    assert (
        DecisionLogEntry.objects.filter(
            incident=drill.incident, actor_label__startswith="drill:"
        ).count()
        == 3
    )
    assert MetricPoint.objects.filter(is_drill=True).count() == 6
    assert Delivery.objects.filter(incident=drill.incident, kind="drill").count() == 3


def test_the_end_step_and_the_commander_never_both_finish(
    postgres_only, transactional_db, commander, fraud_model
):
    drill = start(commander, 60)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def finish(by) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            runs.finish_drill(drill_id=drill.pk, by=by, status="completed")
            outcomes.append("finished")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=finish, args=(who,)) for who in (None, commander)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "finished"]
    assert (
        DecisionLogEntry.objects.filter(
            incident=drill.incident, summary__startswith="Drill completed"
        ).count()
        == 1
    )
    assert drill.incident.milestones.filter(phase=Phase.RESOLVED).count() == 1


def test_a_replayed_drill_is_scored_from_what_happened(clock, commander, fraud_model):
    """Commander actions at chosen drill minutes; the debrief matches them exactly.

    Factor 60: one wall second is one drill minute.
    """
    drill = start(commander, 60)
    incident = drill.incident
    clock.advance(seconds=15)
    runs.run_due(now=clock.now)
    request = DecisionLogEntry.objects.get(incident=incident, kind=EntryKind.DECISION_REQUEST)

    clock.advance(seconds=5)  # minute 20: decide, 5 drill minutes after the request
    record_decision(
        incident=incident,
        by=commander,
        decision_type="rollback_model",
        decision="Roll back",
        rationale="FP rate doubled after the release",
        settles=request,
    )
    clock.advance(seconds=5)  # minute 25: technical and executive updates, on time (due at 30)
    publish(incident, commander, "technical", "executive")
    clock.advance(seconds=3)  # minute 28: contained
    reach_milestone(incident=incident, phase=Phase.CONTAINED, indicator="FP < 3 %", by=commander)
    clock.advance(seconds=3)  # minute 31: the customer update (due 30) is reminded: missed
    assert cadence_tick.run_due(now=clock.now) == {"reminded": 1, "escalated": 0}
    clock.advance(
        seconds=29
    )  # minute 60: technical and executive (due 55) missed too; the END step
    cadence_tick.run_due(now=clock.now)
    runs.run_due(now=clock.now)

    drill.refresh_from_db()
    incident.refresh_from_db()
    assert drill.status == "completed" and drill.finished_at == clock.now
    assert incident.phase == Phase.RESOLVED
    d = drill.debrief
    assert [(s["key"], s["actual"], s["target"], s["passed"]) for s in d["scores"]] == [
        ("cadence_kept", 40.0, 100, False),  # 2 of 5 slots met
        ("time_to_containment", 28.0, 30, True),
        ("time_to_decision", 5.0, 10, True),
    ]
    assert d["scores"][0]["detail"] == "2 of 5 update slots met"
    assert [(m["phase"], m["actual_minutes"], m["passed"]) for m in d["milestones"]] == [
        ("contained", 28.0, True),
        ("recovered", None, False),
    ]
    assert [
        (m["audience"], m["due_minute"], m["late_minutes"], m["reminded"])
        for m in d["missed_deadlines"]
    ] == [
        ("customer", 30.0, None, True),
        ("executive", 55.0, None, True),
        ("technical", 55.0, None, True),
    ]
    assert d["passed"] is False
    assert d["replayed"] == {"steps": 13, "applied": 13, "events": 3, "metric_points": 9}
    assert d["decision_minutes"] == [5.0] and d["open_decisions"] == 0
    assert d["drill_minutes"] == 60.0


def test_a_late_update_is_listed_with_how_late_it_was(clock, commander, fraud_model):
    drill = start(commander, 60)
    clock.advance(seconds=37)  # minute 37: every slot (due 30) is 7 drill minutes late
    cadence_tick.run_due(now=clock.now)
    runs.run_due(now=clock.now)  # a late tick: the decision request (minute 15) is asked now
    publish(drill.incident, commander, "technical")
    runs.end_drill(drill=drill, by=commander)
    drill.refresh_from_db()
    missed = {
        m["audience"]: (m["late_minutes"], m["published"])
        for m in drill.debrief["missed_deadlines"]
    }
    assert missed == {
        "technical": (7.0, True),
        "executive": (None, False),
        "customer": (None, False),
    }
    decision = drill.debrief["scores"][2]
    assert (decision["actual"], decision["passed"]) == (
        None,
        False,
    )  # the request came at 15 and nobody settled it
    assert decision["detail"] == "median of 0 settled request(s); 1 left open"


def test_the_commander_ends_a_drill_early_and_the_rest_is_skipped(clock, commander, fraud_model):
    drill = start(commander, 60)
    clock.advance(seconds=12)
    runs.run_due(now=clock.now)
    runs.end_drill(drill=drill, by=commander)

    drill.refresh_from_db()
    assert drill.status == "completed" and drill.debriefed_at == clock.now
    assert drill.incident.phase == Phase.RESOLVED
    assert not Deadline.objects.open().filter(incident=drill.incident).exists()
    clock.advance(seconds=60)
    assert runs.run_due(now=clock.now) == 0  # nothing more is replayed
    assert drill.debrief["replayed"]["applied"] == 4  # points at 0, 5, 10 and the question at 10
    with pytest.raises(Conflict, match=r"This drill has already ended\."):
        runs.abort_drill(drill=drill, by=commander)


def test_aborting_marks_the_drill_and_needs_a_commander(clock, commander, responder, fraud_model):
    drill = start(commander)
    with pytest.raises(
        NotPermitted, match=r"Only the drill's commander or a commander-eligible user may"
    ):
        runs.abort_drill(drill=drill, by=responder)
    runs.abort_drill(drill=drill, by=commander)
    drill.refresh_from_db()
    assert drill.status == "aborted" and drill.debrief["status"] == "aborted"


def test_resolving_the_drill_incident_ends_the_drill_at_the_next_tick(
    clock, commander, fraud_model
):
    drill = start(commander, 60)
    clock.advance(seconds=12)
    runs.run_due(now=clock.now)
    reach_milestone(
        incident=drill.incident, phase=Phase.RESOLVED, indicator="Done early", by=commander
    )
    clock.advance(seconds=18)
    assert (
        runs.run_due(now=clock.now) == 0
    )  # nothing more is replayed (the request at 15 is not asked)
    drill.refresh_from_db()
    assert (drill.status, drill.finished_at, drill.debriefed_at) == (
        "completed",
        clock.now,
        clock.now,
    )
    assert drill.debrief["replayed"]["applied"] == 4
    assert list(
        DecisionLogEntry.objects.filter(
            incident=drill.incident, actor_label__startswith="drill:"
        ).values_list("actor_label", flat=True)
    ) == ["drill: executive"]


def test_an_event_racing_the_resolution_is_skipped(clock, commander, fraud_model):
    """A step claimed while the commander resolves: the event finds the incident closed and asks nobody."""
    drill = start(commander, 60)
    step = drill.steps.get(kind="event", offset_seconds=600)
    reach_milestone(
        incident=drill.incident, phase=Phase.RESOLVED, indicator="Done early", by=commander
    )
    clock.advance(seconds=10)
    assert runs.apply_step(step.pk, now=clock.now) is True
    assert not DecisionLogEntry.objects.filter(
        incident=drill.incident, actor_label__startswith="drill:"
    ).exists()
