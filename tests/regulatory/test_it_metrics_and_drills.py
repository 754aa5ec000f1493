"""Regulatory deadlines met, per regime, beside the cadence figures; drills on their own clock, apart."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents.models import Incident
from regulatory import clocks, services
from regulatory.models import Obligation
from tests.builders import declare
from tests.helpers import token_client
from tests.regulatory.support import (
    AI_ACT,
    AI_ACT_SERIOUS,
    GDPR,
    GDPR_BREACH,
    NIS2,
    NIS2_SIGNIFICANT,
    with_liaison,
)


def submit(obligation: Obligation, liaison, commander) -> None:
    services.edit_report(obligation=obligation, by=liaison, fields={})
    services.sign_off_report(obligation=obligation, by=commander)
    services.submit_report(obligation=obligation, by=liaison, channel="portal")


@pytest.fixture
def figures(clock, commander, liaison, fraud_model):
    """A real incident: GDPR met, AI Act missed, NIS2 cancelled; a drill: GDPR missed."""
    real = with_liaison(declare(commander, fraud_model, title="Real"), commander, liaison)
    services.triage(incident=real, by=liaison, regime=GDPR, answers=GDPR_BREACH)
    services.triage(incident=real, by=liaison, regime=AI_ACT, answers=AI_ACT_SERIOUS)
    services.triage(incident=real, by=liaison, regime=NIS2, answers=NIS2_SIGNIFICANT)
    services.triage(
        incident=real, by=liaison, regime=NIS2, answers={**NIS2_SIGNIFICANT, "significant": False}
    )
    submit(Obligation.objects.get(incident=real, regime=GDPR), liaison, commander)
    ai_act = Obligation.objects.get(incident=real, regime=AI_ACT)
    clocks.run_due(now=ai_act.due_at + timedelta(minutes=1))  # escalated: missed

    drill = declare(commander, fraud_model, title="Drill")
    Incident.objects.filter(pk=drill.pk).update(is_drill=True, clock_factor=60)
    drill.refresh_from_db()
    with_liaison(drill, commander, liaison)
    services.triage(incident=drill, by=liaison, regime=GDPR, answers=GDPR_BREACH)
    drill_gdpr = Obligation.objects.get(incident=drill)
    clocks.run_due(now=drill_gdpr.due_at + timedelta(seconds=1))
    return real, drill


def test_a_drill_runs_its_clocks_sixty_times_faster_and_says_so(figures):
    _, drill = figures
    obligation = Obligation.objects.get(incident=drill)
    assert (
        obligation.is_drill and obligation.due_at - obligation.starts_at == timedelta(hours=72) / 60
    )
    from comms.models import Delivery

    notices = Delivery.objects.filter(incident=drill, kind="regulatory", channel="inapp")
    assert notices and all(d.payload["title"].startswith("[DRILL] ") for d in notices)


def test_the_api_reports_deadlines_met_per_regime_with_drills_apart(figures, executive):
    body = token_client(executive).get("/api/v1/metrics/communication/").json()
    real = {r["regime"]: r for r in body["real"]["regulatory_deadlines"]}
    assert real == {
        AI_ACT: {
            "regime": AI_ACT,
            "name": "EU AI Act Art. 73",
            "met": 0,
            "missed": 1,
            "decided": 1,
            "percent": 0.0,
        },
        GDPR: {
            "regime": GDPR,
            "name": "GDPR Art. 33",
            "met": 1,
            "missed": 0,
            "decided": 1,
            "percent": 100.0,
        },
    }  # NIS2 was cancelled by the re-triage: it never counts
    assert body["drills"]["regulatory_deadlines"] == [
        {
            "regime": GDPR,
            "name": "GDPR Art. 33",
            "met": 0,
            "missed": 1,
            "decided": 1,
            "percent": 0.0,
        }
    ]


def test_the_metrics_page_shows_them_beside_the_cadence_figures(figures, client, executive):
    client.force_login(executive)
    page = client.get("/communication-metrics/").content.decode()
    assert "Regulatory deadlines met, per regime" in page
    real = page.split('id="real-regulatory"')[1].split("</table>")[0]
    assert "GDPR Art. 33</th><td>1</td><td>0</td><td>100 %" in real
    assert "EU AI Act Art. 73</th><td>0</td><td>1</td><td>0 %" in real
