"""Components: public names, groups, customer-facing, and one state on the page and in /api/v2/."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from comms import status_versions, workflows
from incidents.choices import Phase
from kit.versions import read_counters
from publicstatus.components import incident_state
from publicstatus.maintenance import start_maintenance
from publicstatus.models import Component
from tests.builders import announced_maintenance, declare, publish_renditions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]


def components(client) -> dict[str, dict]:
    doc = json.loads(client.get("/api/v2/components.json").content)
    return {c["id"]: c for c in doc["components"]}


def page(client) -> str:
    return client.get("/status/public/").content.decode()


@pytest.fixture
def named(fraud_model, credit_model):
    Component.objects.create(
        model=fraud_model,
        public_name="Card payments",
        public_description="Approving card payments.",
        group="Payments",
    )
    Component.objects.create(model=credit_model, public_name="Loan offers", customer_facing=False)


def test_public_names_and_groups_in_statuspage_shape(client, named, fraud_model):
    comps = components(client)
    assert set(comps) == {"group-payments", "model-fraud-scoring"}  # credit is not customer-facing
    group, member = comps["group-payments"], comps["model-fraud-scoring"]
    assert group["group"] is True and group["components"] == ["model-fraud-scoring"]
    assert group["name"] == "Payments" and group["group_id"] is None
    assert member["name"] == "Card payments" and member["group_id"] == "group-payments"
    assert member["description"] == "Approving card payments." and member["group"] is False
    html = page(client)
    assert "Card payments" in html and "Payments" in html and "Approving card payments." in html
    assert "Loan offers" not in html and "Credit" not in html


def test_a_model_without_public_details_keeps_its_id_and_name(client, fraud_model):
    comps = components(client)
    assert comps["model-fraud-scoring"]["name"] == fraud_model.name
    assert comps["model-fraud-scoring"]["group_id"] is None


@pytest.mark.parametrize(
    "severity,phase,state",
    [
        (1, Phase.DECLARED, "major_outage"),
        (2, Phase.ROOT_CAUSE_IDENTIFIED, "partial_outage"),
        (3, Phase.DECLARED, "degraded_performance"),
        (1, Phase.CONTAINED, "degraded_performance"),
        (1, Phase.RECOVERED, "operational"),
    ],
)
def test_incident_state_follows_severity_then_phase(severity, phase, state):
    assert incident_state(severity, phase) == state


def test_a_recovered_incident_reads_monitoring_not_major_outage(
    client, commander, responder, fraud_model
):
    incident = declare(commander, fraud_model, severity=1)
    publish_renditions(incident, commander, responder, customer={"summary": "Payments fail."})
    assert components(client)["model-fraud-scoring"]["status"] == "major_outage"
    assert 'class="banner banner-major"' in page(client)
    for phase in (Phase.CONTAINED, Phase.RECOVERED):
        workflows.reach_milestone(incident=incident, phase=phase, indicator="ok", by=commander)
    html = page(client)
    assert components(client)["model-fraud-scoring"]["status"] == "operational"
    assert 'class="banner banner-monitoring"' in html and '"banner-h">Major outage' not in html
    assert '<span class="badge sev1">Major outage' not in html  # the card's badge neither
    assert "Recovered, monitoring" in html


def test_page_and_api_show_the_same_state(client, commander, responder, fraud_model):
    publish_renditions(
        declare(commander, fraud_model, severity=2),
        commander,
        responder,
        customer={"summary": "Slow."},
    )
    state = components(client)["model-fraud-scoring"]["status"]
    assert state == "partial_outage"
    assert 'id="model-fraud-scoring"' in page(client)
    assert 'class="component state-partial_outage" id="model-fraud-scoring"' in page(client)


def test_maintenance_in_progress_puts_components_under_maintenance(
    client, commander, fraud_model, credit_model
):
    maintenance = announced_maintenance(commander, fraud_model, hours_ahead=0)
    assert components(client)["model-fraud-scoring"]["status"] == "operational"
    start_maintenance(maintenance, by=commander)
    comps = components(client)
    assert comps["model-fraud-scoring"]["status"] == "under_maintenance"
    assert comps["model-credit-limits"]["status"] == "operational"
    assert 'class="banner banner-maintenance"' in page(client)


def test_an_incident_outranks_maintenance(client, commander, responder, fraud_model):
    start_maintenance(announced_maintenance(commander, fraud_model, hours_ahead=0), by=commander)
    publish_renditions(
        declare(commander, fraud_model, severity=3),
        commander,
        responder,
        customer={"summary": "Slow."},
    )
    assert components(client)["model-fraud-scoring"]["status"] == "degraded_performance"


def test_a_drill_never_changes_a_component(client, commander, responder, fraud_model):
    incident = declare(commander, fraud_model, severity=1, is_drill=True)
    publish_renditions(incident, commander, responder, customer={"summary": "DRILL"})
    assert components(client)["model-fraud-scoring"]["status"] == "operational"


def test_every_public_status_table_moves_the_public_counter_even_below_the_orm(
    commander, fraud_model
):
    maintenance = announced_maintenance(commander, fraud_model)
    component = Component.objects.create(model=fraud_model, public_name="Card payments")
    rows = {
        "publicstatus_component": component.pk,
        "publicstatus_maintenance": maintenance.pk,
        "publicstatus_maintenanceupdate": maintenance.updates.get().pk,
        "publicstatus_maintenance_components": maintenance.components.through.objects.get().pk,
    }
    assert set(rows) == set(status_versions.PUBLIC_STATUS.tables)
    for table, pk in rows.items():
        (before,) = read_counters([status_versions.PUBLIC])
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET id = id WHERE id = %s", [pk])  # noqa: S608  names from the declarations
        (after,) = read_counters([status_versions.PUBLIC])
        assert after > before, table
