"""Hostile and odd input: a 4xx naming the field, never a 5xx, nothing written."""

from __future__ import annotations

import pytest

from tests.helpers import census, error_fields

INC = "/api/v1/incidents/{i}"
METRICS = "/api/v1/models/fraud-scoring/metrics/"

POSTS = [
    (
        "/api/v1/incidents/",
        {"title": "x", "severity": 1, "customers_affected": 2**40},
        "customers_affected",
    ),
    (
        "/api/v1/incidents/",
        {"title": "x", "severity": 1, "models": [{"slug": "a\x00"}]},
        "models[0].slug",
    ),
    ("/api/v1/incidents/", {"title": "x", "severity": 1, "models": [None]}, "models[0]"),
    ("/api/v1/incidents/", {"title": "x", "severity": 1, "models": "fraud-scoring"}, "models"),
    ("/api/v1/incidents/", {"title": "x\x00", "severity": 1}, "title"),
    ("/api/v1/incidents/", {"title": "x", "severity": 1.5}, "severity"),
    ("/api/v1/incidents/", {"title": "x", "severity": [1]}, "severity"),
    (
        "/api/v1/incidents/",
        {"title": "x", "severity": 1, "detected_at": "0001-01-01T00:00:00+01:00"},
        "detected_at",
    ),
    ("/api/v1/incidents/", {"title": "x", "severity": 1, "dedup_key": {"a": 1}}, "dedup_key"),
    (INC + "/impact/", {"revenue_at_risk_per_hour": "NaN"}, "revenue_at_risk_per_hour"),
    (INC + "/roles/", {"role": "scribe", "user": "re\x00my"}, "user"),
    (INC + "/roles/", {"role": "scribe", "user": ["remy"]}, "user"),
    (INC + "/roles/", {"role": "scribe", "user": "ghost"}, "user"),
    (INC + "/roles/", {"role": "mascot", "user": "remy"}, "role"),
    (INC + "/roles/", {"role": "commander", "user": "remy"}, "user"),
    (INC + "/roles/", {"role": "scribe", "user": "eve"}, "user"),
    (INC + "/roles/release/", {"role": "scribe"}, "role"),
    (INC + "/log/", {"kind": "correction", "corrects": 10**20, "text": "x"}, "corrects"),
    (INC + "/log/", {"kind": "note", "text": "a\x00b"}, "text"),
    (
        INC + "/log/",
        {
            "kind": "decision",
            "decision_type": "rollback_model",
            "decision": "d",
            "rationale": "r",
            "options_considered": [None],
        },
        "options_considered[0]",
    ),
    (
        METRICS,
        {"points": [{"metric": "fp", "timestamp": "9999-12-31T23:59:59-05:00", "value": 1}]},
        "points[0].timestamp",
    ),
    (
        METRICS,
        {"points": [{"metric": "fp", "timestamp": "2026-01-01T00:00:00Z", "value": True}]},
        "points[0].value",
    ),
    (METRICS, {"points": [None]}, "points[0]"),
    (
        METRICS,
        {
            "points": [{"metric": "fp", "timestamp": "2026-01-01T00:00:00Z", "value": 1}],
            "is_drill": "sometimes",
        },
        "is_drill",
    ),
    (
        "/api/v1/glossary/terms/",
        {"name": "x", "technical_definition": "t", "plain_definition": "p", "related": ["a\x00"]},
        "related",
    ),
]


@pytest.mark.parametrize(("path", "body", "field"), POSTS)
def test_bad_bodies_name_the_field_and_write_nothing(
    api, incident, responder, executive, path, body, field
):
    before = census()
    r = api.post(path.format(i=incident.pk), body, format="json")
    assert r.status_code in (400, 409), r.json()
    assert field in error_fields(r)
    assert census() == before


GETS = [
    ("/api/v1/incidents/?model=%00", 400),
    ("/api/v1/incidents/?severity=%00", 400),
    ("/api/v1/incidents/?page=99999999999999999999", 404),
    ("/api/v1/incidents/?page=abc", 404),
    ("/api/v1/incidents/99999999999999999999999/", 404),
    (INC + "/log/99999999999999/", 404),
    ("/api/v1/glossary/terms/?q=%00", 400),
    ("/api/v1/glossary/terms/x/versions/99999999999999999/", 404),
    (METRICS + "?since=0001-01-01T00:00:00%2B01:00", 400),
]


@pytest.mark.parametrize(("path", "status"), GETS)
def test_odd_queries_answer_4xx(api, incident, fraud_model, path, status):
    r = api.get(path.format(i=incident.pk))
    assert r.status_code == status
    error_fields(r)


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", "{", 400),
        ("application/json", '{"kind": "note", "text": "x",}', 400),
        ("application/json", "\xff\xfe", 400),
        ("text/plain", "kind=note", 415),
    ],
)
def test_malformed_bodies_write_nothing(api, incident, content_type, body, status):
    before = census()
    r = api.post(f"/api/v1/incidents/{incident.pk}/log/", body, content_type=content_type)
    assert r.status_code == status
    error_fields(r)
    assert census() == before


def test_an_unknown_api_path_answers_404_in_the_error_shape(client, commander):
    client.force_login(commander)
    response = client.get("/api/v1/glossary/terms/not a slug!/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "No such resource."}
    }
    assert client.get("/no-such-page/").headers["Content-Type"].startswith("text/html")
