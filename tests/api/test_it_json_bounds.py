"""Parsers fail closed: deeply nested or oversized JSON is a 4xx on every endpoint, never a 500 (#10, item 8).

Before the bounded parser, 100 000 `[` reached json.loads and raised
RecursionError: a 500 on the authenticated API, on every integration endpoint
and on PagerDuty's enqueue.
"""

from __future__ import annotations

import time

import pytest
from rest_framework.test import APIClient

from integrations.models import IntegrationKey
from kit.parsers import max_depth_exceeded
from tests.helpers import census, error_fields, token_client

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000


def bearer(kind: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {IntegrationKey.issue(name=kind, kind=kind)[1]}")
    return client


@pytest.fixture
def endpoints(commander, fraud_model, incident):  # type: ignore[no-untyped-def]
    """(url, client) for each kind of endpoint that reads a JSON body in our error shape."""
    return {
        "api token": ("/api/v1/incidents/", token_client(commander)),
        "api token, nested resource": (
            f"/api/v1/incidents/{incident.pk}/log/",
            token_client(commander),
        ),
        "alertmanager key": ("/api/v1/integrations/alertmanager/", bearer("alertmanager")),
        "grafana key": ("/api/v1/integrations/grafana/", bearer("grafana")),
        "metrics key": (f"/api/v1/models/{fraud_model.slug}/metrics/", bearer("metrics")),
    }


@pytest.mark.parametrize(
    "kind",
    ["api token", "api token, nested resource", "alertmanager key", "grafana key", "metrics key"],
)
def test_100_000_brackets_are_a_400_naming_the_body(endpoints, kind):
    url, client = endpoints[kind]
    before = census()
    response = client.post(url, DEEP, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    error_fields(response)  # our one error shape
    assert response.json()["error"]["message"].startswith("body: JSON nested deeper than 64 levels")
    assert census() == before


def test_session_authenticated_api_is_bounded_too(client, commander):
    client.force_login(commander)
    response = client.post("/api/v1/incidents/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["error"]["message"]


def test_pagerduty_answers_in_its_own_shape(db):
    response = APIClient().post(
        "/api/v1/integrations/pagerduty/v2/enqueue", DEEP, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event"
    assert body["errors"] == ["Event is JSON nested deeper than 64 levels (JSON_MAX_DEPTH)"]


def test_nesting_up_to_the_limit_is_parsed(commander):
    # 64 levels is accepted by the parser; the serializer then refuses the (wrong) shape with its own 400.
    body = b"[" * 64 + b"]" * 64
    response = token_client(commander).post(
        "/api/v1/incidents/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested deeper" not in response.json()["error"]["message"]


def test_the_limit_is_a_setting(commander, settings):
    settings.JSON_MAX_DEPTH = 8
    body = b'{"a":' * 9 + b"1" + b"}" * 9
    response = token_client(commander).post(
        "/api/v1/incidents/", body, content_type="application/json"
    )
    assert response.json()["error"]["message"].startswith("body: JSON nested deeper than 8 levels")


def test_an_oversized_body_is_refused_before_it_is_parsed(commander, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"title": "' + b"x" * 2048 + b'"}'
    response = token_client(commander).post(
        "/api/v1/incidents/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    "raw, limit, exceeded",
    [
        (b"[[[]]]", 3, False),
        (b"[[[[]]]]", 3, True),
        (b'["[[[[[[", "{{{{{{"]', 1, False),  # brackets inside strings do not count
        (b'["\\"[[[[", {"k": "]]]]"}]', 2, False),  # nor after an escaped quote
        (b'[{"a": [1]}, {"b": [2]}]', 3, False),  # siblings do not add up
        (
            b'"unterminated [[[[',
            2,
            False,
        ),  # the rest is one (invalid) string: the decoder refuses it
        (b'[[[[ "unterminated', 3, True),
    ],
)
def test_the_depth_scan(raw, limit, exceeded):
    assert max_depth_exceeded(raw, limit) is exceeded


def test_the_depth_scan_is_linear_on_escaped_quotes(db):
    """Half a megabyte of `\\"` after an open quote: a backtracking scan took minutes (quadratic)."""
    body = b'["' + b'\\"' * 250_000
    started = time.monotonic()
    response = APIClient().post(
        "/api/v1/integrations/pagerduty/v2/enqueue", body, content_type="application/json"
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert response.json()["errors"] == ["Event is not valid JSON"]
    assert elapsed < 10, (
        f"{elapsed:.1f} s"
    )  # linear: milliseconds; the quadratic scan needed ~10 minutes
