"""Fuzz every operation of /api/schema/ with schemathesis: the schema must tell the truth.

The schema is loaded from our own WSGI application at import, so every route
(a new one too) becomes one test per operation. Each
test builds the permission matrix's `world` (an incident with updates in every
state, deadlines, subscriptions, an inbox message, a term, a playbook, a model
with metric points) and sends the generated requests as a commander (API
token) or, for the integration endpoints, with an integration key of the
right kind. Path parameters name real rows of that world; every request runs
in a savepoint that is rolled back, so each one sees the same world.

Checks: no 5xx; the status code, content type and body are the ones the schema
declares; and a request the schema calls valid is not refused with a 4xx
other than the state-dependent ones (401/403/404/409/429) schemathesis allows.
Bounded and deterministic: a fixed seed, derandomized Hypothesis, no example
database, a small number of examples per operation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from api.deadlines import serializers as deadline_serializers
from api.models import ApiToken
from comms import cadence, workflows
from comms import services as comms_services
from console import heartbeats
from incidents.choices import Phase
from integrations.models import IntegrationKey
from learning.actions import create_action_item
from learning.drills import runs
from learning.reviews import services as review_services
from tests.helpers import census

MAX_EXAMPLES = 10

CONFIG = schemathesis.Config.from_str(
    f"""
seed = 20260301
suppress-health-check = ["all"]

[generation]
max-examples = {MAX_EXAMPLES}
deterministic = true
database = "none"
# NUL characters: every text field refuses them (docs/api.md, "Hardening").
allow-x00 = false
mode = "all"

# Boundary values of every valid input (deterministic), without the invalid-input half
# and the unexpected-method probes, which would triple the run for little more.
[phases.coverage]
unexpected-methods = []

[phases.coverage.generation]
mode = "positive"

[phases.stateful]
enabled = false
"""
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), config=CONFIG)


@pytest.fixture
def fuzz_world(world, commander, fraud_model, incident) -> dict[str, Any]:
    """The permission matrix's world, a draft ready for sign-off, a token and integration keys."""
    ready = comms_services.create_draft(
        incident=incident,
        by=commander,
        what_changed="Assessing",
        renditions={"regulator": {"summary": "We are assessing the exposure"}},
    )
    _, token = ApiToken.issue(user=commander, name="schemathesis")
    keys = {
        kind: IntegrationKey.issue(name=f"fuzz {kind}", kind=kind, default_model=fraud_model)[1]
        for kind in IntegrationKey.Kind.values
    }
    # A worker and beat have just beaten (beat dated a minute ahead: its limit is two seconds
    # and the fuzzing takes longer), so /readyz answers 200; its 503s are tested in tests/ops/.
    heartbeats.record(heartbeats.WORKER_KEY)
    heartbeats.record(heartbeats.BEAT_KEY, time.time() + 60)
    return (
        world
        | {"ready": ready.number, "token": token, "keys": keys}
        | learning_world(commander, fraud_model)
    )


def learning_world(commander, fraud_model) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A resolved incident with a draft review and an action item; a running and a finished drill."""
    resolved = workflows.declare_incident(
        by=commander, title="Resolved for review", severity=3, models=[(fraud_model, "v42")]
    )
    for phase in (Phase.CONTAINED, Phase.RESOLVED):
        workflows.reach_milestone(
            incident=resolved, phase=phase, indicator="FP < 2 %", by=commander
        )
    review_services.start_review(incident=resolved, by=commander)
    item = create_action_item(
        incident=resolved,
        by=commander,
        title="Alert on FP rate",
        owner=commander,
        due_at=timezone.now() + timedelta(days=7),
        expected_outcome="Paged within 5 min",
        category="monitoring",
    )
    running = runs.start_drill(by=commander, scenario="fraud-fp-surge", clock_factor=60)
    finished = runs.start_drill(by=commander, scenario="recommender-latency-peak", clock_factor=60)
    runs.finish_drill(drill_id=finished.pk, by=commander, status="completed")
    return {
        "reviewed": resolved.pk,
        "item": item.pk,
        "running_drill": running.pk,
        "finished_drill": finished.pk,
    }


@pytest.fixture
def in_process_requests(settings) -> Iterator[None]:
    """Let the in-process WSGI calls share the test's transaction (as Django's test client does)."""
    settings.INTEGRATION_RATE_LIMIT_PER_MINUTE = 1_000_000
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def path_parameters(case: schemathesis.Case, world: dict[str, Any]) -> dict[str, Any]:
    """Real rows of the world for the operation's path parameters."""
    path = case.operation.path
    if "/updates/{number}" in path:
        if case.method == "PATCH" or path.endswith("/publish/"):
            number = world["draft"]
        elif path.endswith("/submit/"):
            number = world["ready"]
        elif path.endswith("/sign-off/"):
            number = world["awaiting"]
        else:
            number = world["published"]
    else:
        number = None
    drill = "finished_drill" if path.endswith(("/debrief/", "/improvements/")) else "running_drill"
    values = {
        "incident_id": world["reviewed"] if "/review/" in path else world["incident"],
        "item_id": world["item"],
        "drill_id": world[drill],
        "number": number,
        "deadline_id": world["deadline"],
        "rendition_id": world["rendition"],
        "subscription_id": world["sub"],
        "delivery_id": world["delivery"],
        "playbook_id": world["playbook"],
        "maintenance_id": world["maintenance"],
        "sequence": 1,
        "version": 1,
        "slug": "drift" if path.startswith("/api/v1/glossary/") else "fraud-scoring",
    }
    return {name: values[name] for name in case.path_parameters or {} if name in values}


# Rules a JSON Schema cannot state: which rows exist, what time it is, what a stored row
# already says. For a request the schema calls valid, the test puts values that hold in
# the world into these fields; everything else stays as generated. Each rule is also
# written in the field's description. (A request the fuzzer leaves invalid in these
# fields is still sent in negative mode and must get a documented 4xx.)
TARGETS = {
    "email": "ops@example.test",
    "slack": "https://hooks.slack.com/services/T000/B000/XXXX",
    "webhook": "https://hooks.example.test/icc",
    "apprise": "mmosts://mattermost.example.test/abcdefghijklmnopqrstuvwxyz",
}


def future() -> str:
    return (timezone.now() + timedelta(hours=1)).isoformat()


def fill_world_references(case: schemathesis.Case, world: dict[str, Any]) -> None:
    """Put rows of the world (and a future time) where the schema can only say "a string"."""
    key = (case.method, case.operation.path.removeprefix("/api/v1"))
    body = case.body if isinstance(case.body, dict) else {}
    query = case.query if isinstance(case.query, dict) else {}

    def put(name: str, value: Any) -> None:
        if body.get(name) is not None:
            body[name] = value

    if key == ("GET", "/incidents/") and "model" in query:
        query["model"] = "fraud-scoring"  # a model slug
    elif key == ("POST", "/incidents/") and isinstance(body.get("models"), list) and body["models"]:
        # model slugs; each model once
        body["models"] = [{**body["models"][0], "slug": "fraud-scoring"}]
    elif key == ("POST", "/incidents/{incident_id}/roles/"):
        put("user", "conor")  # a username (commander-eligible, so any role fits)
    elif key == ("POST", "/incidents/{incident_id}/milestones/"):
        put("reached_at", timezone.now().isoformat())  # not before the incident was detected
    elif key == ("POST", "/incidents/{incident_id}/log/"):
        put("corrects", 1)  # a log sequence of this incident
        put("settles", None)  # the world has no open decision request
        put("approved_by", "cara")
    elif key == ("POST", "/incidents/{incident_id}/updates/"):
        put("corrects", world["published"])  # a published update's number
        put("next_update_at", future())
    elif key == ("PATCH", "/incidents/{incident_id}/updates/{number}/"):
        put("next_update_at", future())
    elif key == ("POST", "/incidents/{incident_id}/updates/{number}/publish/"):
        put("approved_by", "cara")
    elif key == ("GET", "/models/{slug}/metrics/") and {"since", "until"} <= set(query):
        query["since"], query["until"] = sorted(
            [query["since"], query["until"]], key=parse_datetime
        )
    elif key == ("GET", "/metrics/communication/") and {"date_from", "date_to"} <= set(query):
        query["date_from"], query["date_to"] = sorted([query["date_from"], query["date_to"]])
    elif key == ("POST", "/action-items/"):
        put("incident", world["incident"])
        put("owner", "cara")
        put("due_at", future())
    elif key in (
        ("PATCH", "/action-items/{item_id}/"),
        ("POST", "/drills/{drill_id}/improvements/"),
    ):
        put("owner", "cara")  # a username of an incident reader
        put("due_at", future())
    elif key == ("PATCH", "/incidents/{incident_id}/review/") and "classification" in body:
        body["classification"] = {}  # dimension names are the chosen taxonomy's (data files)
    elif key == ("POST", "/maintenances/"):
        put("components", ["fraud-scoring"])  # model slugs
        if body.get("scheduled_for") is not None and body.get("scheduled_until") is not None:
            start = timezone.now() + timedelta(hours=1)  # the window ends after it starts
            body["scheduled_for"] = start.isoformat()
            body["scheduled_until"] = (start + timedelta(hours=1)).isoformat()
    elif key == ("POST", "/glossary/terms/"):
        put("related", ["drift"])  # term slugs
    elif key == ("POST", "/subscriptions/"):
        put("models", ["fraud-scoring"])
        channel = body.get("channel")
        if channel:
            body["target"] = TARGETS[channel]  # the target's form depends on the channel
        else:
            body.pop("target", None)  # your own subscription has no target
    elif key == ("PATCH", "/subscriptions/{subscription_id}/"):
        put("models", ["fraud-scoring"])
        put("channel", "webhook")  # the channel cannot change: the world's is a webhook
        put("target", TARGETS["webhook"])


def authenticate(case: schemathesis.Case, world: dict[str, Any]) -> dict[str, str]:
    """Headers (or, for PagerDuty, the body's routing_key) that authenticate this operation."""
    path = case.operation.path
    if path.endswith("/integrations/alertmanager/"):
        return {"Authorization": f"Bearer {world['keys']['alertmanager']}"}
    if path.endswith("/integrations/grafana/"):
        return {"Authorization": f"Bearer {world['keys']['grafana']}"}
    if path.endswith("/pagerduty/v2/enqueue"):
        if isinstance(case.body, dict) and isinstance(case.body.get("routing_key"), str):
            case.body["routing_key"] = world["keys"]["pagerduty"]
        return {}
    return {"Authorization": f"Token {world['token']}"}


def is_positive(case: schemathesis.Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def send_and_check(case: schemathesis.Case, world: dict[str, Any]) -> int:
    """Send the case as the world's commander (or key holder), check it, roll it back."""
    headers = authenticate(case, world)
    savepoint = transaction.savepoint_create()
    try:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        return response.status_code
    finally:
        transaction.savepoint_rollback(savepoint)


@schema.parametrize()
def test_the_api_matches_its_schema(case, fuzz_world, in_process_requests):
    case.path_parameters = {**(case.path_parameters or {}), **path_parameters(case, fuzz_world)}
    if is_positive(case):
        fill_world_references(case, fuzz_world)
    send_and_check(case, fuzz_world)


# --- The checks can fail: an API that breaks its schema is caught --------------------------
# (A serializer stricter than its schema fails positive_data_acceptance in the fuzzing
# above; that needs generated cases, so it is shown by breaking one, not pinned here.)

SNOOZE = "/api/v1/incidents/{incident_id}/deadlines/{deadline_id}/snooze/"


def snooze_case(world: dict[str, Any]) -> schemathesis.Case:
    return schema[SNOOZE]["POST"].Case(
        path_parameters={"incident_id": world["incident"], "deadline_id": world["deadline"]},
        body={"minutes": 10, "reason": "Waiting on the vendor"},
        media_type="application/json",
    )


def failures(case: schemathesis.Case, world: dict[str, Any]) -> set[str]:
    with pytest.raises(FailureGroup) as failed:
        send_and_check(case, world)
    return {type(failure).__name__ for failure in failed.value.exceptions}


def test_a_well_formed_snooze_passes_the_checks(fuzz_world, in_process_requests):
    assert send_and_check(snooze_case(fuzz_world), fuzz_world) == 200


def test_a_server_error_fails_the_checks(fuzz_world, in_process_requests, monkeypatch):
    def crash(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cadence, "snooze", crash)
    assert failures(snooze_case(fuzz_world), fuzz_world) == {"ServerError", "UndefinedStatusCode"}


def test_a_body_the_schema_does_not_describe_fails_the_checks(
    fuzz_world, in_process_requests, monkeypatch
):
    monkeypatch.setattr(
        deadline_serializers.DeadlineSerializer,
        "to_representation",
        lambda self, row: {"id": "one"},
    )
    assert failures(snooze_case(fuzz_world), fuzz_world) == {"JsonSchemaError"}


# --- Size limits answer in the one error shape ---------------------------------------------


def test_an_oversized_body_is_refused_with_413_in_the_error_shape(api, incident, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    before = census()
    r = api.post(
        f"/api/v1/incidents/{incident.pk}/log/",
        {"kind": "note", "text": "x" * 4096},
        format="json",
    )
    assert r.status_code == 413
    assert r.json() == {
        "error": {
            "status": 413,
            "code": "too_large",
            "message": "The body is larger than 2048 bytes (DATA_UPLOAD_MAX_MEMORY_SIZE).",
        }
    }
    assert census() == before
