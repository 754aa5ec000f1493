"""Drill data never enters real metrics, status pages or the Statuspage API."""

from __future__ import annotations

from django.urls import reverse

from comms import workflows
from incidents.choices import EntryKind, Phase, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.decisions import record_decision
from incidents.models import MetricPoint
from incidents.services import assign_role, reach_milestone
from learning import communication_metrics
from learning.drills import runs
from tests.builders import publish


def run_a_whole_drill(clock, commander, responder):
    drill = runs.start_drill(by=commander, scenario="fraud-fp-surge", clock_factor=60)
    incident = drill.incident
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
    clock.advance(seconds=15)
    runs.run_due(now=clock.now)
    request = DecisionLogEntry.objects.get(incident=incident, kind=EntryKind.DECISION_REQUEST)
    record_decision(
        incident=incident,
        by=commander,
        decision_type="rollback_model",
        decision="Roll back",
        rationale="FP doubled",
        settles=request,
    )
    publish(incident, commander, "technical", "executive")
    publish(incident, responder, "customer")
    reach_milestone(incident=incident, phase=Phase.CONTAINED, indicator="FP < 3 %", by=commander)
    clock.advance(seconds=50)
    runs.run_due(now=clock.now)
    drill.refresh_from_db()
    assert drill.status == "completed"
    return drill


def test_a_finished_drill_leaves_the_real_metrics_unchanged(
    clock, commander, responder, fraud_model
):
    real = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    clock.advance(minutes=12)
    publish(real, commander, "technical")
    reach_milestone(incident=real, phase=Phase.CONTAINED, indicator="FP < 3 %", by=commander)
    before = communication_metrics.report(communication_metrics.Filters())

    drill = run_a_whole_drill(clock, commander, responder)

    after = communication_metrics.report(communication_metrics.Filters())
    assert after.real == before.real
    assert [m.incident_id for m in after.real.incidents] == [real.pk]
    assert [m.incident_id for m in after.drills.incidents] == [drill.incident_id]
    assert (
        after.drills.aggregates.overall.time_to_decision is not None
    )  # the drill's own section has it
    excluded = communication_metrics.report(communication_metrics.Filters(drills="exclude"))
    assert excluded.drills is None and excluded.real == before.real


def test_drill_points_are_flagged_and_stay_out_of_real_series(
    clock, commander, responder, fraud_model
):
    run_a_whole_drill(clock, commander, responder)
    assert MetricPoint.objects.filter(is_drill=False).count() == 0
    assert MetricPoint.objects.filter(is_drill=True, model=fraud_model).count() == 9


def test_status_pages_and_statuspage_api_never_show_a_drill(
    client, clock, commander, responder, executive, fraud_model
):
    drill = runs.start_drill(by=commander, scenario="fraud-fp-surge", clock_factor=60)
    assign_role(incident=drill.incident, role=Role.COMMS_LEAD, user=responder, by=commander)
    # Even a published customer notice stays inside the drill.
    publish(
        drill.incident, responder, "customer", "executive", summary="Drill notice: payments slowed"
    )
    real = workflows.declare_incident(
        by=commander, title="Card payments declined", severity=2, models=[(fraud_model, "")]
    )
    assign_role(incident=real, role=Role.COMMS_LEAD, user=responder, by=commander)
    publish(real, responder, "customer", "executive", summary="Real notice: payments declined")
    clock.advance(seconds=1)
    pages = {}
    client.force_login(executive)
    pages["executive"] = client.get(reverse("status:executive")).content.decode()
    client.logout()
    pages["public"] = client.get(reverse("status:public")).content.decode()
    for name in ("statuspage-incidents", "statuspage-incidents-unresolved", "statuspage-summary"):
        pages[name] = str(client.get(reverse(name)).json())
    for name, body in pages.items():
        # The real incident's notice is there (so the check can fail); the drill's is not.
        assert "Real notice: payments declined" in body or real.title in body, name
        assert "Drill notice" not in body and drill.incident.title not in body, name
