"""Monitoring jobs post metric points with a metrics integration key."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from incidents.models import MetricPoint
from integrations.models import IntegrationKey

URL = "/api/v1/models/fraud-scoring/metrics/"
POINT = {"metric": "false_positive_rate", "timestamp": "2026-03-01T12:00:00Z", "value": 4.2}


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def metrics_key(db) -> str:
    return IntegrationKey.issue(name="exporter", kind="metrics")[1]


def test_a_metrics_key_posts_points_idempotently(fraud_model, metrics_key):
    client = bearer(metrics_key)
    for _ in range(2):
        response = client.post(URL, {"points": [POINT]}, format="json")
        assert response.status_code == 200, response.content
    assert MetricPoint.objects.count() == 1


def test_a_metrics_key_cannot_read(fraud_model, metrics_key):
    assert bearer(metrics_key).get(URL).status_code == 403


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_values_are_400(fraud_model, metrics_key, value):
    body = (
        '{"points": [{"metric": "false_positive_rate", "timestamp": "2026-03-01T12:00:00Z", "value": %s}]}'
        % value
    )
    response = bearer(metrics_key).post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert not MetricPoint.objects.exists()


def test_keys_of_other_kinds_and_revoked_keys_are_401(fraud_model):
    key, raw = IntegrationKey.issue(name="am", kind="alertmanager")
    assert bearer(raw).post(URL, {"points": [POINT]}, format="json").status_code == 401
    metrics, raw = IntegrationKey.issue(name="old", kind="metrics")
    metrics.revoke()
    assert bearer(raw).post(URL, {"points": [POINT]}, format="json").status_code == 401
    assert not MetricPoint.objects.exists()
