from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents.health_metrics import MAX_POINTS_PER_REQUEST
from incidents.models import MetricPoint
from tests.helpers import census, error_fields

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
METRICS = "/api/v1/models/fraud-scoring/metrics/"


def points(n: int, metric: str = "false_positive_rate", start: datetime = T0) -> list[dict]:
    return [
        {
            "metric": metric,
            "timestamp": (start + timedelta(minutes=i)).isoformat(),
            "value": 2.0 + i / 100,
        }
        for i in range(n)
    ]


def test_it_lists_models_with_impact_rules(api, fraud_model):
    r = api.get("/api/v1/models/")
    assert r.status_code == 200
    [row] = r.json()["results"]
    assert row["slug"] == "fraud-scoring" and row["risk_tier"] == 1
    assert row["impact_rules"][0]["metric"] == "false_positive_rate"
    assert row["impact_rules"][0]["revenue_per_step"] == "8500.00"


def test_it_shows_one_model(api, fraud_model):
    r = api.get("/api/v1/models/fraud-scoring/")
    assert r.status_code == 200
    assert r.json()["impact_rules"][0]["unit_label"] == "customers wrongly declined per hour"
    assert api.get("/api/v1/models/nope/").status_code == 404


def test_it_ingests_points_idempotently(api, fraud_model):
    batch = points(3)
    r = api.post(METRICS, {"points": batch}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json() == {"model": "fraud-scoring", "received": 3, "stored": 3}
    batch[0]["value"] = 9.5
    assert api.post(METRICS, {"points": batch}, format="json").status_code == 200
    assert MetricPoint.objects.filter(model=fraud_model).count() == 3
    assert MetricPoint.objects.get(model=fraud_model, timestamp=T0).value == 9.5


def test_it_accepts_the_largest_batch(api, fraud_model):
    r = api.post(METRICS, {"points": points(MAX_POINTS_PER_REQUEST)}, format="json")
    assert r.status_code == 200, r.json()
    assert MetricPoint.objects.count() == MAX_POINTS_PER_REQUEST


def test_it_refuses_an_oversized_batch_writing_nothing(api, fraud_model):
    before = census()
    r = api.post(METRICS, {"points": points(MAX_POINTS_PER_REQUEST + 1)}, format="json")
    assert r.status_code == 400
    assert "points" in error_fields(r)
    assert census() == before


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"value": "NaN"}, "points[1].value"),
        ({"value": "Infinity"}, "points[1].value"),
        ({"value": "-inf"}, "points[1].value"),
        ({"value": "high"}, "points[1].value"),
        ({"value": None}, "points[1].value"),
        ({"timestamp": "2026-03-01T12:00:00"}, "points[1].timestamp"),
        ({"timestamp": "yesterday"}, "points[1].timestamp"),
        ({"metric": "FalsePositives"}, "points[1].metric"),
        ({"metric": "fp rate"}, "points[1].metric"),
        ({"metric": "1st"}, "points[1].metric"),
        ({"metric": "fp\n"}, "points[1].metric"),
        ({"metric": "a" * 65}, "points[1].metric"),
    ],
)
def test_it_refuses_bad_points_writing_nothing(api, fraud_model, bad, field):
    batch = points(3)
    batch[1].update(bad)
    before = census()
    r = api.post(METRICS, {"points": batch}, format="json")
    assert r.status_code == 400, r.json()
    assert field in error_fields(r)
    assert census() == before


def test_it_refuses_json_nan_literals(api, fraud_model):
    body = '{"points": [{"metric": "fp", "timestamp": "2026-03-01T12:00:00Z", "value": NaN}]}'
    before = census()
    r = api.post(METRICS, body, content_type="application/json")
    assert r.status_code == 400
    assert census() == before


def test_it_refuses_overflowing_numbers(api, fraud_model):
    body = '{"points": [{"metric": "fp", "timestamp": "2026-03-01T12:00:00Z", "value": 1e400}]}'
    before = census()
    r = api.post(METRICS, body, content_type="application/json")
    assert r.status_code == 400
    assert "points[0].value" in error_fields(r)
    assert census() == before


@pytest.mark.parametrize(
    ("body", "field"), [({}, "points"), ({"points": []}, "points"), ({"points": "x"}, "points")]
)
def test_it_needs_points(api, fraud_model, body, field):
    r = api.post(METRICS, body, format="json")
    assert r.status_code == 400
    assert field in error_fields(r)


def test_it_answers_404_for_an_unknown_model(api, fraud_model):
    before = census()
    assert (
        api.post("/api/v1/models/nope/metrics/", {"points": points(1)}, format="json").status_code
        == 404
    )
    assert census() == before


def test_it_lists_points_filtered(api, fraud_model):
    api.post(METRICS, {"points": points(5) + points(2, metric="p95_latency_ms")}, format="json")
    api.post(METRICS, {"points": points(1), "is_drill": True}, format="json")
    everything = api.get(METRICS).json()
    assert everything["count"] == 7
    fp = api.get(METRICS + "?metric=false_positive_rate").json()["results"]
    assert [p["timestamp"] for p in fp] == [
        (T0 + timedelta(minutes=i)).isoformat().replace("+00:00", "Z") for i in range(5)
    ]
    since = (T0 + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    until = (T0 + timedelta(minutes=3)).isoformat().replace("+00:00", "Z")
    window = api.get(
        METRICS, {"metric": "false_positive_rate", "since": since, "until": until}
    ).json()
    assert window["count"] == 3
    drill = api.get(METRICS + "?is_drill=true").json()
    assert drill["count"] == 1 and drill["results"][0]["is_drill"] is True


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"metric": "Bad Name"}, "metric"),
        ({"since": "2026-03-01T12:00:00"}, "since"),
        ({"until": "not a time"}, "until"),
        ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "until"),
    ],
)
def test_it_refuses_bad_point_filters(api, fraud_model, query, field):
    r = api.get(METRICS, query)
    assert r.status_code == 400
    assert field in error_fields(r)
