"""Integration endpoints take only JSON: any other body is a 415 and changes nothing (#10, item 8)."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from incidents.models import Incident
from integrations.models import AlertEvidence, IntegrationKey

pytestmark = pytest.mark.django_db

ALERT_GROUP = {
    "version": "4",
    "status": "firing",
    "groupKey": "g",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "FP", "model": "fraud-scoring"},
            "startsAt": "2026-03-01T12:00:00Z",
        }
    ],
}
PD_EVENT = {
    "event_action": "trigger",
    "payload": {"summary": "FP", "source": "x", "severity": "critical"},
}

# Encodings a sender might use instead of JSON; None sends no Content-Type header at all.
NOT_JSON = [
    ("application/x-www-form-urlencoded", b"version=4&status=firing"),
    (
        "multipart/form-data; boundary=b",
        b'--b\r\nContent-Disposition: form-data; name="version"\r\n\r\n4\r\n--b--\r\n',
    ),
    ("text/plain", json.dumps(ALERT_GROUP).encode()),
    (None, json.dumps(ALERT_GROUP).encode()),
]


def post(client: APIClient, url: str, body: bytes, content_type: str | None):  # type: ignore[no-untyped-def]
    if content_type is None:
        # The test client always sets a type; a raw WSGI environ without one is what curl -d '' -H 'Content-Type:' sends.
        return client.generic("POST", url, body, content_type="", CONTENT_TYPE="")
    return client.generic("POST", url, body, content_type=content_type)


def keyed(kind: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {IntegrationKey.issue(name=kind, kind=kind)[1]}")
    return client


@pytest.mark.parametrize("content_type, body", NOT_JSON)
@pytest.mark.parametrize("kind", ["alertmanager", "grafana"])
def test_alert_group_endpoints_answer_415_in_our_shape(fraud_model, kind, content_type, body):
    response = post(keyed(kind), f"/api/v1/integrations/{kind}/", body, content_type)
    assert response.status_code == 415, response.content
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not Incident.objects.exists() and not AlertEvidence.objects.exists()


@pytest.mark.parametrize("content_type, body", NOT_JSON)
def test_metrics_intake_answers_415_in_our_shape(fraud_model, content_type, body):
    response = post(
        keyed("metrics"), f"/api/v1/models/{fraud_model.slug}/metrics/", body, content_type
    )
    assert response.status_code == 415, response.content
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("content_type, body", NOT_JSON)
def test_pagerduty_answers_415_in_its_own_shape(fraud_model, content_type, body):
    raw = IntegrationKey.issue(name="pd", kind="pagerduty")[1]
    if content_type == "text/plain" or content_type is None:
        body = json.dumps({**PD_EVENT, "routing_key": raw}).encode()  # valid JSON, wrong label
    response = post(APIClient(), "/api/v1/integrations/pagerduty/v2/enqueue", body, content_type)
    assert response.status_code == 415, response.content
    assert response.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Content-Type must be application/json"],
    }
    assert not Incident.objects.exists()


def test_json_with_a_charset_is_json(fraud_model):
    response = keyed("alertmanager").generic(
        "POST",
        "/api/v1/integrations/alertmanager/",
        json.dumps(ALERT_GROUP).encode(),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 202, response.content
