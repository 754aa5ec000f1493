"""`make run`'s demo shows regulatory clocks: the credit drift's DORA and AI Act obligations."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from incidents.models import Incident
from regulatory.models import Obligation, RegulatoryReport
from regulatory.services import obligations_for


@pytest.mark.django_db
def test_the_demo_credit_drift_has_running_regulatory_clocks():
    call_command("seed_demo", verbosity=0)
    incident = Incident.objects.get(title__startswith="Credit risk model drift")
    states = {(o["regime"], o["report"]): o["state"] for o in obligations_for(incident)}
    assert states == {
        ("eu-ai-act-art73", "serious_incident_report"): "running",
        ("dora-major-ict", "initial_notification"): "submitted",
        ("dora-major-ict", "intermediate_report"): "running",
        ("dora-major-ict", "final_report"): "not_started",
    }
    initial = Obligation.objects.get(incident=incident, report="initial_notification")
    assert initial.outcome == "met"
    assert RegulatoryReport.objects.get(obligation=initial).authority_reference == "ICT-2026-00417"
    call_command("seed_demo", verbosity=0)  # idempotent: nothing doubles
    assert (
        Obligation.objects.filter(incident__title__startswith="Credit risk model drift").count()
        == 4
    )
