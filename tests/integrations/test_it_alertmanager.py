"""Alertmanager webhook: firing opens, grouped updates, resolved recovers; bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from comms.models import Deadline
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident
from integrations.models import AlertEvidence, IntegrationKey

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/api/v1/integrations/alertmanager/"


def payload(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def am(db) -> tuple[APIClient, IntegrationKey]:
    key, raw = IntegrationKey.issue(name="prod-alertmanager", kind="alertmanager")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client, key


def post(client: APIClient, body: dict):  # type: ignore[no-untyped-def]
    return client.post(URL, body, format="json")


def test_firing_opens_an_incident_with_evidence_and_deadlines(am, fraud_model):
    client, key = am
    response = post(client, payload("alertmanager_firing"))
    assert response.status_code == 202, response.content
    assert response.json()["opened"] is True
    incident = Incident.objects.get()
    assert incident.source == "alert"
    assert incident.dedup_key.startswith("alertmanager:{}/")
    assert incident.severity == 3  # warning
    assert incident.summary == "Fraud model false-positive rate above 4 %"
    assert "FraudFalsePositiveRateHigh" in incident.title
    assert list(incident.affected_models.values_list("slug", flat=True)) == ["fraud-scoring"]
    evidence = AlertEvidence.objects.get()
    assert evidence.fingerprint == "c5f3a1b2d4e6f708"
    assert evidence.labels["instance"] == "scorer-1:9100"
    assert evidence.starts_at is not None and evidence.ends_at is None  # Go's zero time
    kinds = list(
        DecisionLogEntry.objects.filter(incident=incident).values_list("kind", "actor_label")
    )
    assert ("declaration", "prod-alertmanager") in kinds
    assert ("alert", "prod-alertmanager") in kinds
    assert Deadline.objects.filter(incident=incident).exists()  # cadence opened via comms.workflows


def test_a_second_delivery_updates_the_open_incident_and_raises_severity(am, fraud_model):
    client, key = am
    post(client, payload("alertmanager_firing"))
    response = post(client, payload("alertmanager_grouped"))
    assert response.status_code == 202
    assert response.json()["opened"] is False
    incident = Incident.objects.get()
    assert incident.severity == 1  # one alert of the group is critical
    assert AlertEvidence.objects.filter(incident=incident).count() == 4
    log = DecisionLogEntry.objects.filter(incident=incident)
    assert log.filter(kind="alert").count() == 2
    assert log.filter(kind="severity_change").count() == 1


def test_resolved_group_logs_and_reaches_recovered(am, fraud_model):
    client, key = am
    post(client, payload("alertmanager_firing"))
    response = post(client, payload("alertmanager_resolved"))
    assert response.status_code == 202
    incident = Incident.objects.get()
    assert incident.phase == "recovered"
    assert "all alerts of group" in incident.milestones.get(phase="recovered").indicator
    assert DecisionLogEntry.objects.filter(incident=incident, kind="alert").count() == 2
    assert AlertEvidence.objects.filter(incident=incident, status="resolved").exists()


def test_resolved_without_recovery_when_the_key_says_so(am, fraud_model):
    client, key = am
    key.resolve_reaches_recovered = False
    key.save()
    post(client, payload("alertmanager_firing"))
    post(client, payload("alertmanager_resolved"))
    assert Incident.objects.get().phase == "declared"


def test_resolved_for_an_unknown_group_changes_nothing(am):
    client, _ = am
    response = post(client, payload("alertmanager_resolved"))
    assert response.status_code == 202
    assert not Incident.objects.exists()


def test_truncated_alerts_are_noted(am, fraud_model):
    client, _ = am
    response = post(client, payload("alertmanager_truncated"))
    assert response.status_code == 202
    incident = Incident.objects.get()
    assert incident.severity == 1
    entry = DecisionLogEntry.objects.get(incident=incident, kind="alert")
    assert "17 more alert(s) truncated" in entry.summary


def test_notification_reason_is_noted_and_route_labels_kept_on_the_log_entry(am, fraud_model):
    client, _ = am
    assert post(client, payload("alertmanager_firing")).status_code == 202
    entry = DecisionLogEntry.objects.get(kind="alert")
    assert (
        entry.summary
        == "1 alert(s) firing (1 firing); reason: new_alerts: Fraud model false-positive rate above 4 %"
    )
    assert entry.data["route_labels"] == {"team": "payments-risk"}
    assert entry.data["group_key"] == payload("alertmanager_firing")["groupKey"]


@pytest.mark.parametrize(
    "size", [512 * 1024, 3 * 1024 * 1024]
)  # the second is over Django's own upload limit
def test_bodies_over_512_kb_are_413_in_our_error_shape(am, size):
    client, _ = am
    body = payload("alertmanager_firing")
    body["alerts"][0]["annotations"]["description"] = "x" * size
    response = post(client, body)
    assert response.status_code == 413
    assert response.json() == {
        "error": {"status": 413, "code": "too_large", "message": "The body is larger than 512 KB."}
    }
    assert not Incident.objects.exists() and not AlertEvidence.objects.exists()


def test_a_body_of_exactly_512_kb_is_read(am):
    client, _ = am
    body = payload("alertmanager_resolved") | {"padding": ""}
    body["padding"] = "x" * (512 * 1024 - len(json.dumps(body).encode()))
    assert len(json.dumps(body).encode()) == 512 * 1024
    assert client.post(URL, json.dumps(body), content_type="application/json").status_code == 202


def test_severity_map_and_model_map_per_key(am, fraud_model):
    client, key = am
    key.severity_map = {"warning": 2}
    key.model_map = {"fraud": "fraud-scoring"}
    key.save()
    body = payload("alertmanager_firing")
    body["alerts"][0]["labels"]["model"] = "fraud"
    del body["commonLabels"]["model"]
    post(client, body)
    incident = Incident.objects.get()
    assert incident.severity == 2
    assert incident.affected_models.filter(slug="fraud-scoring").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(version="3"), "version"),
        (lambda b: b.update(status="pending"), "status"),
        (lambda b: b.pop("groupKey"), "groupKey"),
        (lambda b: b.update(alerts=[]), "alerts"),
        (lambda b: b["alerts"][0].update(labels={"severity": 1}), "alerts[0].labels"),
        (lambda b: b["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt"),
        (lambda b: b["alerts"][0].update(startsAt="2026-02-30T10:00:00Z"), "alerts[0].startsAt"),
        (lambda b: b["alerts"][0].update(endsAt="9999-12-31T23:59:59-05:00"), "alerts[0].endsAt"),
        (lambda b: b.update(truncatedAlerts="17"), "truncatedAlerts"),
        (lambda b: b.update(truncatedAlerts=-1), "truncatedAlerts"),
        (lambda b: b.update(notification_reason=["new_alerts"]), "notification_reason"),
        (lambda b: b.update(routeLabels={"team": 7}), "routeLabels"),
    ],
)
def test_malformed_payloads_get_400_and_write_nothing(am, change, field):
    client, _ = am
    body = payload("alertmanager_firing")
    change(body)
    response = post(client, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"]
    assert not Incident.objects.exists() and not AlertEvidence.objects.exists()


def test_unknown_keys_are_ignored(am):
    client, _ = am
    body = payload("alertmanager_firing") | {"somethingNew": {"x": 1}}
    assert post(client, body).status_code == 202


def test_not_json_is_400_in_our_shape(am):
    client, _ = am
    response = client.post(URL, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Token abc"])
def test_requests_without_a_valid_alertmanager_key_are_401(db, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = post(client, payload("alertmanager_firing"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert not Incident.objects.exists()


def test_a_key_of_another_kind_is_refused(db):
    _, raw = IntegrationKey.issue(name="grafana", kind="grafana")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert post(client, payload("alertmanager_firing")).status_code == 401


def test_a_revoked_key_is_refused(am):
    client, key = am
    key.revoke()
    assert post(client, payload("alertmanager_firing")).status_code == 401


def test_rate_limit_answers_429_with_retry_after(am, settings):
    client, _ = am
    settings.INTEGRATION_RATE_LIMIT_PER_MINUTE = 1
    assert post(client, payload("alertmanager_resolved")).status_code == 202
    response = post(client, payload("alertmanager_resolved"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["status"] == 429


def test_no_csrf_needed_even_with_a_session(am, admin_user):
    client, _ = am
    client.enforce_csrf_checks = True  # type: ignore[attr-defined]
    client.force_login(admin_user)
    assert post(client, payload("alertmanager_resolved")).status_code == 202


def test_times_with_any_rfc3339_offset_are_stored_in_utc(am, fraud_model):
    """RFC 3339 allows offsets PostgreSQL refuses (beyond ±15:59): we store UTC."""
    client, _ = am
    body = payload("alertmanager_firing")
    body["alerts"][0]["startsAt"] = "2026-03-01T23:30:00+19:14"
    assert post(client, body).status_code == 202
    evidence = AlertEvidence.objects.get()
    assert evidence.starts_at.isoformat() == "2026-03-01T04:16:00+00:00"
