"""/api/v1/maintenances/: schedule, step through, refuse bad input and bad order; constant queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from publicstatus.models import Maintenance
from tests.builders import announced_maintenance
from tests.helpers import error_fields

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

URL = "/api/v1/maintenances/"
WINDOW = {"scheduled_for": "2030-03-01T12:00:00Z", "scheduled_until": "2030-03-01T13:00:00Z"}


def test_schedule_then_announce_start_complete(api, fraud_model):
    response = api.post(
        URL, {"name": "Upgrade", "components": ["fraud-scoring"], **WINDOW}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "scheduled" and body["announced_at"] is None
    assert body["components"] == ["fraud-scoring"] and response["Location"].endswith(
        f"/maintenances/{body['id']}/"
    )
    steps = f"{URL}{body['id']}/steps/"
    for step, status in [
        ("announce", "scheduled"),
        ("start", "in_progress"),
        ("complete", "completed"),
    ]:
        response = api.post(steps, {"step": step, "body": f"{step} words"}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    assert [u["body"] for u in response.json()["updates"]] == [
        "announce words",
        "start words",
        "complete words",
    ]


def test_bad_input_is_400_naming_the_field_and_writes_nothing(api, fraud_model):
    cases = [
        (
            {
                "name": "x",
                "scheduled_for": "2030-03-01T13:00:00Z",
                "scheduled_until": "2030-03-01T12:00:00Z",
            },
            "scheduled_until",
        ),
        ({"name": "x", "components": ["nope"], **WINDOW}, "components"),
        ({"name": " ", **WINDOW}, "name"),
        ({"name": "x", **WINDOW, "impact": "huge"}, "impact"),
    ]
    for body, field in cases:
        response = api.post(URL, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in error_fields(response), (field, response.json())
    assert not Maintenance.objects.exists()


def test_a_step_out_of_order_is_409_and_changes_nothing(api, commander, fraud_model):
    maintenance = announced_maintenance(commander, fraud_model)
    response = api.post(f"{URL}{maintenance.pk}/steps/", {"step": "complete"}, format="json")
    assert response.status_code == 409
    assert "status" in error_fields(response)
    maintenance.refresh_from_db()
    assert maintenance.status == "scheduled" and maintenance.updates.count() == 1
    response = api.post(f"{URL}{maintenance.pk}/steps/", {"step": "jump"}, format="json")
    assert response.status_code == 400 and "step" in error_fields(response)


@pytest.mark.parametrize("rows", [5, 50])
def test_the_list_runs_constant_queries(
    commander, fraud_model, credit_model, django_assert_num_queries, rows
):
    for i in range(rows):
        announced_maintenance(commander, fraud_model, credit_model, hours_ahead=i + 1)
    client = APIClient()
    client.force_authenticate(User.objects.get(pk=commander.pk))
    # groups, count, page, components, updates
    with django_assert_num_queries(5):
        response = client.get(URL)
    assert response.status_code == 200 and response.json()["count"] == rows
