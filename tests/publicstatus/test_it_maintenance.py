"""Scheduled maintenance: the services' steps and refusals, /api/v2/ documents, the public page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from kit.errors import Conflict, DomainError, NotPermitted
from publicstatus.maintenance import (
    announce_maintenance,
    cancel_maintenance,
    complete_maintenance,
    schedule_maintenance,
    start_maintenance,
)
from publicstatus.models import Maintenance
from tests.builders import announced_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

MAINTENANCE_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
    "scheduled_for",
    "scheduled_until",
}


def v2(client, path: str) -> list[dict]:
    response = client.get(f"/api/v2/{path}")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.content)["scheduled_maintenances"]


def draft(commander, *models, **extra):
    start = timezone.now() + timedelta(hours=2)
    return schedule_maintenance(
        by=commander,
        name=extra.pop("name", "Feature store upgrade"),
        body="Scores may be slower.",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[m.slug for m in models],
        **extra,
    )


def test_a_draft_is_private_until_announced(client, commander, fraud_model):
    maintenance = draft(commander, fraud_model, name="PRIVATE-DRAFT-3K")
    assert v2(client, "scheduled-maintenances.json") == []
    assert "PRIVATE-DRAFT-3K" not in client.get("/status/public/").content.decode()
    announce_maintenance(maintenance, by=commander)
    [doc] = v2(client, "scheduled-maintenances/upcoming.json")
    assert set(doc) == MAINTENANCE_KEYS
    assert doc["id"] == f"mnt-{maintenance.pk}" and doc["status"] == "scheduled"
    assert doc["name"] == "PRIVATE-DRAFT-3K" and doc["impact"] == "maintenance"
    assert [c["id"] for c in doc["components"]] == ["model-fraud-scoring"]
    assert doc["shortlink"].endswith(f"/status/public/#mnt-{maintenance.pk}")
    assert [u["status"] for u in doc["incident_updates"]] == ["scheduled"]
    assert doc["incident_updates"][0]["body"] == "Scores may be slower."
    assert v2(client, "scheduled-maintenances/active.json") == []
    assert "PRIVATE-DRAFT-3K" in client.get("/status/public/").content.decode()


def test_lifecycle_moves_between_the_lists(client, commander, fraud_model):
    maintenance = announced_maintenance(commander, fraud_model)
    start_maintenance(maintenance, by=commander, body="We have started.")
    assert v2(client, "scheduled-maintenances/upcoming.json") == []
    [active] = v2(client, "scheduled-maintenances/active.json")
    assert active["status"] == "in_progress"
    assert active["incident_updates"][0]["affected_components"][0]["new_status"] == (
        "under_maintenance"
    )
    summary = json.loads(client.get("/api/v2/summary.json").content)
    assert [m["id"] for m in summary["scheduled_maintenances"]] == [active["id"]]
    complete_maintenance(maintenance, by=commander)
    assert v2(client, "scheduled-maintenances/active.json") == []
    [done] = v2(client, "scheduled-maintenances.json")
    assert done["status"] == "completed" and done["resolved_at"] is not None
    assert [u["status"] for u in done["incident_updates"]] == [
        "completed",
        "in_progress",
        "scheduled",
    ]
    assert "Feature" not in client.get("/status/public/").content.decode()


def test_cancelled_maintenance_leaves_the_upcoming_list(client, commander, fraud_model):
    maintenance = announced_maintenance(commander, fraud_model)
    cancel_maintenance(maintenance, by=commander)
    assert v2(client, "scheduled-maintenances/upcoming.json") == []
    assert Maintenance.objects.get().status == "cancelled"


def test_steps_out_of_order_are_refused_and_change_nothing(commander, fraud_model):
    maintenance = draft(commander, fraud_model)
    with pytest.raises(Conflict, match="Announce the maintenance first"):
        start_maintenance(maintenance, by=commander)
    announce_maintenance(maintenance, by=commander)
    with pytest.raises(Conflict, match="already announced"):
        announce_maintenance(maintenance, by=commander)
    with pytest.raises(Conflict, match="scheduled cannot become completed"):
        complete_maintenance(maintenance, by=commander)
    start_maintenance(maintenance, by=commander)
    with pytest.raises(Conflict, match="in progress cannot become cancelled"):
        cancel_maintenance(maintenance, by=commander)
    assert maintenance.updates.count() == 2


def test_bad_input_names_the_field(commander, fraud_model):
    now = timezone.now()
    with pytest.raises(DomainError, match="scheduled_until must be after scheduled_for"):
        schedule_maintenance(
            by=commander, name="x", scheduled_for=now, scheduled_until=now, components=[]
        )
    with pytest.raises(DomainError, match="Unknown component: nope"):
        schedule_maintenance(
            by=commander,
            name="x",
            scheduled_for=now,
            scheduled_until=now + timedelta(hours=1),
            components=["nope"],
        )
    with pytest.raises(DomainError, match="name is required"):
        draft(commander, name=" ")
    assert not Maintenance.objects.exists()


def test_only_commanders_run_maintenance(responder, executive, commander, fraud_model):
    for user in (responder, executive):
        with pytest.raises(NotPermitted, match="Only commanders"):
            draft(user, fraud_model)
    maintenance = draft(commander, fraud_model)
    with pytest.raises(NotPermitted, match="Only commanders"):
        announce_maintenance(maintenance, by=responder)
