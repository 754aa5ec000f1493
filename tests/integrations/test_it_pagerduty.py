"""PagerDuty Events API v2 compatibility: trigger, acknowledge, resolve; PagerDuty's own shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident
from integrations.models import AlertEvidence, IntegrationKey

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/api/v1/integrations/pagerduty/v2/enqueue"


@pytest.fixture
def routing_key(db) -> str:
    _, raw = IntegrationKey.issue(name="pd-compatible", kind="pagerduty")
    return raw


def event(name: str, routing_key: str) -> dict:
    body = json.loads((FIXTURES / f"pagerduty_{name}.json").read_text())
    body["routing_key"] = routing_key
    return body


def send(body, **extra):  # type: ignore[no-untyped-def]
    return APIClient().post(URL, body, format="json", **extra)


def test_trigger_opens_an_incident_and_echoes_the_dedup_key(routing_key, fraud_model):
    response = send(event("trigger", routing_key))
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "fraud-scoring/fp-rate",
    }
    incident = Incident.objects.get()
    assert incident.severity == 1 and incident.source == "alert"
    assert incident.dedup_key == "pagerduty:fraud-scoring/fp-rate"
    assert incident.title.startswith("Fraud model false-positive rate")
    assert incident.affected_models.filter(slug="fraud-scoring").exists()
    assert AlertEvidence.objects.get().labels["component"] == "fraud-scoring"


def test_trigger_without_dedup_key_gets_one_that_later_events_use(routing_key):
    body = event("trigger", routing_key)
    del body["dedup_key"]
    dedup_key = send(body).json()["dedup_key"]
    assert len(dedup_key) == 32
    assert (
        send(
            {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key}
        ).status_code
        == 202
    )
    assert Incident.objects.get().phase == "recovered"


def test_repeated_trigger_updates_the_same_incident(routing_key):
    send(event("trigger", routing_key))
    send(event("trigger", routing_key))
    assert Incident.objects.count() == 1
    assert AlertEvidence.objects.count() == 2


def test_acknowledge_logs_an_alert_entry(routing_key):
    send(event("trigger", routing_key))
    response = send(event("acknowledge", routing_key))
    assert response.status_code == 202
    entries = DecisionLogEntry.objects.filter(kind="alert").values_list("summary", flat=True)
    assert "Acknowledged in pagerduty" in list(entries)
    assert Incident.objects.get().phase == "declared"


def test_resolve_reaches_recovered(routing_key):
    send(event("trigger", routing_key))
    assert send(event("resolve", routing_key)).status_code == 202
    incident = Incident.objects.get()
    assert incident.phase == "recovered"
    assert (
        "Pagerduty: all alerts of group fraud-scoring/fp-rate resolved"
        in incident.milestones.get(phase="recovered").indicator
    )


def test_invalid_event_answers_in_pagerdutys_shape_and_writes_nothing(routing_key):
    response = send(event("invalid", routing_key))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert any("payload.summary" in e for e in body["errors"])
    assert any("payload.source" in e for e in body["errors"])
    assert any("payload.severity" in e for e in body["errors"])
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"event_action": "trigger"},
        {"event_action": "explode", "dedup_key": "x"},
        {"event_action": "resolve"},
        {"event_action": "acknowledge"},
        {
            "event_action": "trigger",
            "payload": {
                "summary": "s",
                "source": "x",
                "severity": "info",
                "timestamp": "2026-02-30T10:00:00Z",
            },
        },
    ],
)
def test_other_invalid_events(routing_key, body):
    response = send(body | {"routing_key": routing_key})
    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"
    assert not Incident.objects.exists()


@pytest.mark.parametrize("key", [None, "nope", 42])
def test_unknown_routing_key_is_400(db, key):
    body = {"event_action": "resolve", "dedup_key": "x"} | (
        {"routing_key": key} if key is not None else {}
    )
    response = send(body)
    assert response.status_code == 400
    assert response.json()["errors"] == ["Invalid routing key"]


def test_a_key_of_another_kind_is_not_a_routing_key(db):
    _, raw = IntegrationKey.issue(name="am", kind="alertmanager")
    assert send(event("resolve", raw)).status_code == 400


def test_not_json_is_400(routing_key):
    response = APIClient().post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == ["Event is not valid JSON"]


def test_bodies_over_512_kb_are_413(routing_key):
    body = event("trigger", routing_key)
    body["payload"]["custom_details"] = {"blob": "x" * (512 * 1024)}
    response = send(body)
    assert response.status_code == 413
    assert response.json()["status"] == "invalid event"
    assert not Incident.objects.exists()


def test_per_key_rate_limit_is_429_with_retry_after(routing_key, settings):
    settings.INTEGRATION_RATE_LIMIT_PER_MINUTE = 2
    for _ in range(2):
        assert send(event("resolve", routing_key)).status_code == 202
    response = send(event("resolve", routing_key))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


def test_no_csrf_and_no_auth_header_needed(routing_key, admin_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(URL, event("resolve", routing_key), format="json").status_code == 202


def test_a_timestamp_with_a_far_offset_is_kept_in_utc(routing_key):
    body = event("trigger", routing_key)
    body["payload"]["timestamp"] = "2026-03-01T23:30:00-19:30"
    assert send(body).status_code == 202
    assert AlertEvidence.objects.get().starts_at.isoformat() == "2026-03-02T19:00:00+00:00"
