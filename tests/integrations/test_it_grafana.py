"""Grafana alerting webhook: the Alertmanager behaviour for Grafana's payload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident
from integrations.models import AlertEvidence, IntegrationKey

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/api/v1/integrations/grafana/"


def payload(name: str) -> dict:
    return json.loads((FIXTURES / f"grafana_{name}.json").read_text())


@pytest.fixture
def grafana(db) -> APIClient:
    _, raw = IntegrationKey.issue(name="grafana-prod", kind="grafana")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_firing_opens_and_resolved_recovers(grafana, fraud_model):
    assert grafana.post(URL, payload("firing"), format="json").status_code == 202
    incident = Incident.objects.get()
    assert incident.title == "[FIRING:1] Fraud FP rate Models (high fraud-scoring)"
    assert incident.severity == 2  # "high"
    assert incident.dedup_key.startswith("grafana:")
    assert incident.affected_models.filter(slug="fraud-scoring").exists()
    evidence = AlertEvidence.objects.get()
    assert evidence.fingerprint == "8f3c2a1b0e9d7c6a"
    assert evidence.raw["valueString"].startswith("[ var='A'")
    assert grafana.post(URL, payload("resolved"), format="json").status_code == 202
    incident.refresh_from_db()
    assert incident.phase == "recovered"
    assert DecisionLogEntry.objects.filter(incident=incident, kind="alert").count() == 2


def test_an_alertmanager_version_is_refused(grafana):
    body = payload("firing") | {"version": "4"}
    response = grafana.post(URL, body, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]
    assert not Incident.objects.exists()


def test_an_alertmanager_key_is_refused(db):
    _, raw = IntegrationKey.issue(name="am", kind="alertmanager")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.post(URL, payload("firing"), format="json").status_code == 401


def test_bodies_over_512_kb_are_413_in_our_error_shape(grafana):
    body = payload("firing")
    body["message"] = "x" * (512 * 1024)
    response = grafana.post(URL, body, format="json")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "status": 413,
        "code": "too_large",
        "message": "The body is larger than 512 KB.",
    }
    assert not Incident.objects.exists()
