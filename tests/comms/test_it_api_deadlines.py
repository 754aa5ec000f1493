"""Cadence deadlines through the API: list (open and past), snooze once, with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import Deadline
from incidents.decision_log.models import DecisionLogEntry
from tests.builders import declare_via_api, publish_via_api
from tests.helpers import error_fields, snapshot, token_client


@pytest.fixture
def declared(api):
    return declare_via_api(api)


def deadlines_url(incident: dict, suffix: str = "") -> str:
    return f"/api/v1/incidents/{incident['id']}/deadlines/{suffix}"


def open_deadline(incident: dict, audience: str) -> Deadline:
    return Deadline.objects.open().get(incident_id=incident["id"], audience=audience)


def test_the_list_shows_open_and_past_deadlines_with_their_outcome(api, declared, executive):
    late = open_deadline(declared, "technical")
    Deadline.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    publish_via_api(api, declared)  # the technical slot is fulfilled, late
    publish_via_api(api, declared)  # and the next one, on time

    listed = token_client(executive).get(deadlines_url(declared)).json()["results"]
    technical = [d for d in listed if d["audience"] == "technical"]
    assert [(d["is_open"], d["outcome"], d["opened_by"], d["fulfilled_by"]) for d in technical] == [
        (True, "", 2, None),
        (False, "met", 1, 2),
        (False, "missed", None, 1),
    ]
    assert {d["audience"] for d in listed if d["is_open"]} == {"technical", "executive", "customer"}
    assert [
        d["audience"] for d in api.get(deadlines_url(declared) + "?is_open=false").json()["results"]
    ] == ["technical", "technical"]
    assert len(api.get(deadlines_url(declared) + "?is_open=true").json()["results"]) == 3
    bad = api.get(deadlines_url(declared) + "?is_open=perhaps")
    assert bad.status_code == 400 and "is_open" in error_fields(bad)


def test_the_commander_snoozes_a_deadline_once_with_a_reason(api, declared):
    deadline = open_deadline(declared, "executive")
    response = api.post(
        deadlines_url(declared, f"{deadline.pk}/snooze/"),
        {"minutes": 15, "reason": "Waiting on the vendor"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["snoozed_by"] == "cara" and body["snooze_reason"] == "Waiting on the vendor"
    deadline.refresh_from_db()
    assert deadline.due_at - deadline.opened_at == timedelta(minutes=45)
    entry = DecisionLogEntry.objects.filter(incident_id=declared["id"]).latest("sequence")
    assert entry.kind == "snooze" and entry.data["reason"] == "Waiting on the vendor"

    before = snapshot()
    again = api.post(
        deadlines_url(declared, f"{deadline.pk}/snooze/"),
        {"minutes": 5, "reason": "More"},
        format="json",
    )
    assert again.status_code == 409 and "once" in again.json()["error"]["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 10}, "reason"),
        ({"minutes": 10, "reason": "   "}, "reason"),
        ({"minutes": 0, "reason": "Vendor"}, "minutes"),
        ({"minutes": 61, "reason": "Vendor"}, "minutes"),
        ({"minutes": "soon", "reason": "Vendor"}, "minutes"),
        ({"reason": "Vendor"}, "minutes"),
    ],
)
def test_a_bad_snooze_is_refused_naming_the_field(api, declared, body, field):
    deadline = open_deadline(declared, "technical")
    before = snapshot()
    response = api.post(deadlines_url(declared, f"{deadline.pk}/snooze/"), body, format="json")
    assert response.status_code == 400 and field in error_fields(response), response.content
    assert snapshot() == before


def test_only_the_incident_commander_snoozes(
    api, declared, commander2, admin_user, responder, executive
):
    deadline = open_deadline(declared, "technical")
    url = deadlines_url(declared, f"{deadline.pk}/snooze/")
    before = snapshot()
    for user in (commander2, admin_user, responder, executive):
        response = token_client(user).post(url, {"minutes": 10, "reason": "Vendor"}, format="json")
        assert response.status_code == 403, (user.username, response.content)
    assert snapshot() == before


def test_closed_and_foreign_deadlines_cannot_be_snoozed(api, declared):
    fulfilled = open_deadline(declared, "technical")
    publish_via_api(api, declared)
    other = declare_via_api(api, title="Recommender latency spike")
    foreign = open_deadline(other, "technical")
    before = snapshot()
    closed = api.post(
        deadlines_url(declared, f"{fulfilled.pk}/snooze/"),
        {"minutes": 5, "reason": "x"},
        format="json",
    )
    assert closed.status_code == 409
    wrong = api.post(
        deadlines_url(declared, f"{foreign.pk}/snooze/"),
        {"minutes": 5, "reason": "x"},
        format="json",
    )
    assert wrong.status_code == 404
    assert snapshot() == before
