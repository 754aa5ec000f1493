"""The demo's drill: replayed with an injected clock, debriefed, with improvements; seeding twice adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from learning.demo_drill import seed_drill
from learning.models import ActionItem, Drill


def test_seed_drill_replays_a_scenario_to_its_debrief(commander, responder):
    lines: list[str] = []
    before = timezone.now()
    drill = seed_drill(commander=commander, owner=responder, say=lines.append)

    assert drill.status == "completed" and drill.debriefed_at is not None
    assert drill.incident.is_drill and drill.incident.clock_factor == 60
    # Replayed yesterday on the injected clock: 45 drill minutes took 45 wall seconds.
    assert before - drill.started_at > timedelta(hours=23)
    assert drill.finished_at - drill.started_at == timedelta(seconds=45)
    assert timezone.now() - before < timedelta(minutes=1)  # the real clock is back
    d = drill.debrief
    assert d["replayed"] == {"steps": 13, "applied": 13, "events": 3, "metric_points": 9}
    # Request at T+5, decided at T+7; contained at T+12. Without a playbook every audience owes an
    # update each 30 minutes: technical met at 8 and 36; executive met at 8 and missed at 38
    # (skipped on purpose); customer (the commander cannot publish it) missed at 30.
    assert [(s["key"], s["actual"], s["passed"]) for s in d["scores"]] == [
        ("cadence_kept", 60.0, False),
        ("time_to_containment", 12.0, True),
        ("time_to_decision", 2.0, True),
    ]
    assert [(m["audience"], m["due_minute"], m["late_minutes"]) for m in d["missed_deadlines"]] == [
        ("customer", 30.0, None),
        ("executive", 38.0, None),
    ]
    assert [(m["phase"], m["actual_minutes"], m["passed"]) for m in d["milestones"]] == [
        ("contained", 12.0, True),
        ("recovered", None, False),
    ]
    assert sorted(
        ActionItem.objects.filter(drill=drill).values_list("owner__username", "category")
    ) == [("cara", "governance"), ("remy", "monitoring")]
    assert lines == [f"Drill {drill.pk} (recommender-latency-peak) replayed at 60x: not passed"]

    assert seed_drill(commander=commander, owner=responder, say=lines.append) == drill
    assert Drill.objects.count() == 1 and ActionItem.objects.count() == 2
