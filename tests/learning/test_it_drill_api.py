"""The drills API: every route × every persona, validation, the debrief, constant queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from comms.models import Deadline, Delivery
from learning.drills import runs
from learning.models import ActionItem, Drill, DrillStep
from tests.helpers import PERSONAS, Endpoint, census, error_fields, policy, token_client

FRAUD = "fraud-fp-surge"
OUTSIDE = {"outsider": 403, "regulator": 403}


READ = policy(200, **OUTSIDE)
RUN = lambda ok: policy(ok, **OUTSIDE, executive=403, responder=403)  # noqa: E731
NOT_ALLOWED = policy(405)


D = "/api/v1/drills"
ENDPOINTS = [
    Endpoint("scenario-list", "get", D + "/scenarios/", READ),
    Endpoint("drill-list", "get", D + "/", READ),
    Endpoint("drill-start", "post", D + "/", RUN(201), {"scenario": FRAUD, "clock_factor": 60}),
    Endpoint("drill-detail", "get", D + "/{running}/", READ),
    Endpoint("drill-put", "put", D + "/{running}/", NOT_ALLOWED, {"status": "completed"}),
    Endpoint("drill-delete", "delete", D + "/{running}/", NOT_ALLOWED),
    Endpoint("drill-end", "post", D + "/{running}/end/", RUN(200)),
    Endpoint("drill-abort", "post", D + "/{running}/abort/", RUN(200)),
    Endpoint("drill-debrief", "get", D + "/{done}/debrief/", READ),
    Endpoint("improvement-list", "get", D + "/{done}/improvements/", READ),
    Endpoint(
        "improvement-add",
        "post",
        D + "/{done}/improvements/",
        RUN(201),
        {
            "title": "Alert on FP rate per merchant bucket",
            "owner": "remy",
            "due_at": "{due}",
            "expected_outcome": "The surge pages the on-call within 5 minutes",
            "category": "monitoring",
        },
    ),
]


def drill_census() -> dict[str, int]:
    tables = (Drill, DrillStep, ActionItem, Deadline, Delivery)
    return census() | {model.__name__: model.objects.count() for model in tables}


@pytest.fixture
def world(
    commander, commander2, responder, executive, regulator, admin_user, outsider, fraud_model
):
    done = runs.start_drill(by=commander2, scenario=FRAUD, clock_factor=60)
    runs.end_drill(drill=done, by=commander2)
    running = runs.start_drill(by=commander, scenario="recommender-latency-peak", clock_factor=120)
    return {
        "running": running.pk,
        "done": done.pk,
        "due": (timezone.now() + timedelta(days=14)).isoformat(),
    }


def fill(value: Any, world: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_permission_matrix(world, client_for, endpoint: Endpoint, persona: str):
    client = client_for(persona)
    before = drill_census()
    response = getattr(client, endpoint.method)(
        fill(endpoint.path, world), fill(endpoint.body, world), format="json"
    )
    expected = endpoint.expected[persona]
    assert response.status_code == expected, (persona, endpoint.name, response.content[:300])
    if expected >= 400:
        error_fields(response)
        assert drill_census() == before, "a refused request wrote something"
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_the_matrix_covers_every_drill_route():
    from api.drills import urls as urls_drills

    routes = {"/api/v1/" + str(p.pattern) for p in urls_drills.urlpatterns}
    covered = {
        e.path.replace("{running}", "<int:drill_id>").replace("{done}", "<int:drill_id>")
        for e in ENDPOINTS
    }
    assert covered == routes


@pytest.fixture
def api(commander):
    return token_client(commander)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scenario": FRAUD, "clock_factor": 0}, "clock_factor"),
        ({"scenario": FRAUD, "clock_factor": 601}, "clock_factor"),
        ({"scenario": FRAUD, "clock_factor": "fast"}, "clock_factor"),
        ({"scenario": FRAUD}, "clock_factor"),
        ({"clock_factor": 60}, "scenario"),
        ({"scenario": "no-such-scenario", "clock_factor": 60}, "scenario"),
        (
            {"scenario": FRAUD, "clock_factor": 60, "suppress_external": "maybe"},
            "suppress_external",
        ),
    ],
)
def test_bad_starts_name_the_field_and_write_nothing(api, fraud_model, body, field):
    before = drill_census()
    response = api.post(D + "/", body, format="json")
    assert response.status_code == 400
    assert list(error_fields(response)) == [field]
    assert drill_census() == before


def test_starting_answers_with_the_drill_and_its_schedule(api, fraud_model):
    response = api.post(
        D + "/", {"scenario": FRAUD, "clock_factor": 600, "suppress_external": True}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    drill = Drill.objects.get()
    assert body["id"] == drill.pk and body["incident"] == drill.incident_id
    assert (body["clock_factor"], body["suppress_external"], body["status"]) == (
        600,
        True,
        "running",
    )
    assert (body["steps_total"], body["steps_applied"]) == (13, 0)
    assert [s["offset_minutes"] for s in body["steps"] if s["kind"] == "event"] == [10, 15, 25]
    assert body["targets"] == {
        "time_to_containment_minutes": 30.0,
        "time_to_decision_minutes": 10.0,
        "cadence_kept_percent": 100.0,
    }


def test_scenarios_are_listed_with_their_targets(api):
    body = api.get(D + "/scenarios/").json()
    assert [s["slug"] for s in body] == [
        "credit-drift-schema-change",
        "fraud-fp-surge",
        "recommender-latency-peak",
    ]
    fraud = body[1]
    assert fraud["events"][0]["stakeholder"] == "executive"
    assert fraud["targets"]["time_to_decision_minutes"] == 10.0


def test_the_debrief_waits_for_the_end(api, commander, fraud_model):
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    response = api.get(f"{D}/{drill.pk}/debrief/")
    assert response.status_code == 409
    error_fields(response)
    assert api.post(f"{D}/{drill.pk}/end/").status_code == 200
    body = api.get(f"{D}/{drill.pk}/debrief/").json()
    assert body["drill"] == drill.pk and body["status"] == "completed"
    assert [s["key"] for s in body["scores"]] == [
        "cadence_kept",
        "time_to_containment",
        "time_to_decision",
    ]
    assert body["improvements"] == []
    assert api.post(f"{D}/{drill.pk}/end/").status_code == 409  # already ended


def test_improvements_become_action_items_of_the_drill(api, commander, responder, fraud_model):
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    due = timezone.now() + timedelta(days=7)
    body = {
        "title": "Page on FP rate",
        "owner": "remy",
        "due_at": due.isoformat(),
        "expected_outcome": "Paged within 5 min",
        "category": "monitoring",
    }
    early = api.post(f"{D}/{drill.pk}/improvements/", body, format="json")
    assert early.status_code == 409  # still running
    api.post(f"{D}/{drill.pk}/end/")
    response = api.post(f"{D}/{drill.pk}/improvements/", body, format="json")
    assert response.status_code == 201, response.content
    item = ActionItem.objects.get()
    assert (item.drill_id, item.incident_id, item.owner, item.category) == (
        drill.pk,
        drill.incident_id,
        responder,
        "monitoring",
    )
    assert (
        api.get(f"{D}/{drill.pk}/debrief/").json()["improvements"][0]["title"] == "Page on FP rate"
    )
    bad = api.post(f"{D}/{drill.pk}/improvements/", body | {"owner": "nobody"}, format="json")
    assert bad.status_code == 400 and list(error_fields(bad)) == ["owner"]


def test_the_drill_list_runs_a_constant_number_of_queries(
    api, commander, fraud_model, django_assert_num_queries
):
    runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    api.get(D + "/")  # the token's first use is written once
    # token with its user, groups, count, page; (#10) +1: the token-guessing lockout check of the client address, on every token request
    with django_assert_num_queries(5) as one:
        api.get(D + "/")
    for _ in range(3):
        runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    with django_assert_num_queries(len(one.captured_queries)):
        body = api.get(D + "/").json()
    assert body["count"] == 4
