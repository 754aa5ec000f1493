from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.choices import Phase, Source
from incidents.models import Incident
from incidents.services import declare_incident
from tests.helpers import census, error_fields

LIST = "/api/v1/incidents/"

DECLARE = {
    "title": "Recommender latency spike",
    "severity": 3,
    "scope": "Home page recommendations",
    "summary": "p95 above 800 ms",
    "models": [{"slug": "fraud-scoring", "version": "v43"}],
    "customers_affected": 300,
    "revenue_at_risk_per_hour": "1500.50",
    "regulatory_exposure": "low",
    "is_drill": False,
}


def test_it_declares_an_incident(api, fraud_model, commander):
    detected = (timezone.now() - timedelta(minutes=5)).isoformat()
    r = api.post(LIST, {**DECLARE, "detected_at": detected}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert r["Location"] == f"{LIST}{body['id']}/"
    assert body["title"] == "Recommender latency spike"
    assert body["severity"] == 3 and body["severity_label"] == "SEV3"
    assert body["models"] == [
        {"slug": "fraud-scoring", "name": "Fraud scoring", "version": "v43", "risk_tier": 1}
    ]
    assert body["commander"] == "cara"
    assert body["revenue_at_risk_per_hour"] == "1500.50"
    assert [m["phase"] for m in body["milestones"]] == ["detected", "declared"]
    assert [(x["role"], x["user"]) for x in body["roles"]] == [("commander", "cara")]
    assert body["counts"] == {
        "log_entries": 2,
        "decisions": 0,
        "decision_requests": 0,
        "corrections": 0,
    }
    incident = Incident.objects.get(pk=body["id"])
    assert incident.source == Source.API
    assert incident.created_by == commander


def test_it_defaults_model_version_to_current(api, fraud_model):
    r = api.post(
        LIST, {"title": "t", "severity": 2, "models": [{"slug": "fraud-scoring"}]}, format="json"
    )
    assert r.status_code == 201
    assert r.json()["models"][0]["version"] == "v42"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": 5}, "severity"),
        ({"severity": "SEV1"}, "severity"),
        ({"severity": True}, "severity"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"models": [{"slug": "no-such-model"}]}, "models[0].slug"),
        (
            {"models": [{"slug": "fraud-scoring"}, {"slug": "fraud-scoring", "version": "v42"}]},
            "models",
        ),
        ({"customers_affected": -1}, "customers_affected"),
        ({"revenue_at_risk_per_hour": "abc"}, "revenue_at_risk_per_hour"),
        ({"regulatory_exposure": "extreme"}, "regulatory_exposure"),
        ({"detected_at": "2026-01-01T10:00:00"}, "detected_at"),
        ({"detected_at": "2999-01-01T10:00:00Z"}, "detected_at"),
    ],
)
def test_it_refuses_bad_declarations(api, fraud_model, change, field):
    before = census()
    r = api.post(LIST, {**DECLARE, **change}, format="json")
    assert r.status_code == 400, r.json()
    assert field in error_fields(r)
    assert census() == before


@pytest.mark.parametrize("missing", ["title", "severity"])
def test_it_requires_title_and_severity(api, fraud_model, missing):
    before = census()
    body = {k: v for k, v in DECLARE.items() if k != missing}
    r = api.post(LIST, body, format="json")
    assert r.status_code == 400
    assert missing in error_fields(r)
    assert census() == before


def test_it_refuses_malformed_json(api, fraud_model):
    before = census()
    r = api.post(LIST, '{"title": "x", "severity": ', content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "parse_error"
    assert census() == before


def test_it_refuses_a_json_array_body(api):
    r = api.post(LIST, "[1, 2]", content_type="application/json")
    assert r.status_code == 400
    assert "non_field_errors" in error_fields(r)


def test_it_conflicts_on_an_open_dedup_key(api, fraud_model):
    assert api.post(LIST, {**DECLARE, "dedup_key": "grp-1"}, format="json").status_code == 201
    before = census()
    r = api.post(LIST, {**DECLARE, "dedup_key": "grp-1"}, format="json")
    assert r.status_code == 409
    assert "dedup_key" in error_fields(r)
    assert census() == before


@pytest.fixture
def three_incidents(commander, fraud_model):
    a = declare_incident(by=commander, title="A", severity=1, models=[(fraud_model, "v42")])
    b = declare_incident(by=commander, title="B", severity=3, is_drill=True)
    c = declare_incident(by=commander, title="C", severity=3)
    return a, b, c


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["C", "B", "A"]),
        ("?severity=3", ["C", "B"]),
        ("?severity=1", ["A"]),
        ("?is_drill=true", ["B"]),
        ("?is_drill=false", ["C", "A"]),
        ("?model=fraud-scoring", ["A"]),
        ("?phase=declared&severity=3&is_drill=false", ["C"]),
        ("?phase=resolved", []),
    ],
)
def test_it_filters_the_list(api, three_incidents, query, titles):
    r = api.get(LIST + query)
    assert r.status_code == 200
    assert [row["title"] for row in r.json()["results"]] == titles
    assert r.json()["count"] == len(titles)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?severity=9", "severity"),
        ("?phase=done", "phase"),
        ("?is_drill=maybe", "is_drill"),
        ("?model=nope", "model"),
    ],
)
def test_it_refuses_bad_filters(api, three_incidents, query, field):
    r = api.get(LIST + query)
    assert r.status_code == 400
    assert field in error_fields(r)


def test_it_paginates_by_fifty(api, commander):
    for i in range(51):
        declare_incident(by=commander, title=f"I{i}", severity=4)
    first = api.get(LIST).json()
    assert first["count"] == 51 and len(first["results"]) == 50 and first["next"]
    assert len(api.get(LIST + "?page=2").json()["results"]) == 1


def test_it_shows_one_incident(api, incident):
    r = api.get(f"{LIST}{incident.pk}/")
    assert r.status_code == 200
    body = r.json()
    assert body["reference"] == incident.reference
    assert body["scope"] == "Card payments in the EU"
    assert body["created_by"] == "cara"
    assert body["counts"]["log_entries"] == 2


def test_it_answers_404_for_an_unknown_incident(api, incident):
    r = api.get(f"{LIST}{incident.pk + 1000}/")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_offers_no_incident_edit_or_delete(api, incident, method):
    before = census()
    r = getattr(api, method)(f"{LIST}{incident.pk}/", {"title": "rewritten"}, format="json")
    assert r.status_code == 405
    assert "GET" in r["Allow"]
    assert census() == before
    incident.refresh_from_db()
    assert incident.title == "Fraud model false-positive surge"


def test_it_changes_severity(api, incident):
    r = api.post(
        f"{LIST}{incident.pk}/severity/", {"severity": 1, "reason": "EU-wide"}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["severity"] == 1
    assert incident.log_entries.filter(kind="severity_change").count() == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"severity": 0, "reason": "x"}, 400, "severity"),
        ({"severity": 1}, 400, "reason"),
        ({"severity": 1, "reason": "   "}, 400, "reason"),
        ({"severity": 2, "reason": "same"}, 409, "severity"),
    ],
)
def test_it_refuses_bad_severity_changes(api, incident, body, status, field):
    before = census()
    r = api.post(f"{LIST}{incident.pk}/severity/", body, format="json")
    assert r.status_code == status
    assert field in error_fields(r)
    assert census() == before
    incident.refresh_from_db()
    assert incident.severity == 2


def test_it_updates_impact(api, incident):
    r = api.post(
        f"{LIST}{incident.pk}/impact/",
        {"customers_affected": 5000, "regulatory_exposure": "high", "reason": "Wider scope"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["customers_affected"] == 5000
    assert r.json()["regulatory_exposure"] == "high"
    entry = incident.log_entries.get(kind="impact_change")
    assert entry.data["before"] == {"customers_affected": "1200", "regulatory_exposure": "none"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "nothing"}, "non_field_errors"),
        ({"customers_affected": -5}, "customers_affected"),
        ({"regulatory_exposure": "severe"}, "regulatory_exposure"),
        ({"revenue_at_risk_per_hour": "1e20"}, "revenue_at_risk_per_hour"),
    ],
)
def test_it_refuses_bad_impact(api, incident, body, field):
    before = census()
    r = api.post(f"{LIST}{incident.pk}/impact/", body, format="json")
    assert r.status_code == 400
    assert field in error_fields(r)
    assert census() == before


def test_it_reaches_and_lists_milestones(api, incident):
    url = f"{LIST}{incident.pk}/milestones/"
    r = api.post(
        url, {"phase": "contained", "indicator": "FP rate < 2 % for 30 min"}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["phase"] == "contained" and r.json()["recorded_by"] == "cara"
    listed = api.get(url).json()["results"]
    assert [m["phase"] for m in listed] == ["detected", "declared", "contained"]
    incident.refresh_from_db()
    assert incident.phase == Phase.CONTAINED


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"phase": "contained"}, 400, "indicator"),
        ({"phase": "fixed", "indicator": "x"}, 400, "phase"),
        ({"phase": "declared", "indicator": "x"}, 400, "phase"),
        ({"phase": "reviewed", "indicator": "x"}, 409, "phase"),
        (
            {"phase": "contained", "indicator": "x", "reached_at": "2026-01-01T00:00:00"},
            400,
            "reached_at",
        ),
    ],
)
def test_it_refuses_bad_milestones(api, incident, body, status, field):
    before = census()
    r = api.post(f"{LIST}{incident.pk}/milestones/", body, format="json")
    assert r.status_code == status
    assert field in error_fields(r)
    assert census() == before
