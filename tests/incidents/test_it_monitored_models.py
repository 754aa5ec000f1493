"""Impact rules, playbook choice and metric ingestion."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from incidents.health_metrics import MAX_POINTS_PER_REQUEST, PointIn, ingest_metric_points
from incidents.models import ImpactRule, MetricPoint, Playbook, cadence_minutes_for
from kit.errors import DomainError


def test_an_impact_rule_turns_excess_into_business_terms(fraud_model):
    rule = fraud_model.impact_rules.get()
    assert rule.evaluate(5.5).customers_per_hour == 420.0
    assert rule.evaluate(5.5).revenue_per_hour == Decimal("29750.00")
    assert rule.evaluate(1.0).customers_per_hour == 0.0  # below baseline costs nothing


def test_a_below_baseline_rule_counts_the_drop(fraud_model):
    rule = ImpactRule(
        model=fraud_model,
        metric="recall",
        direction="below",
        baseline=0.9,
        step=0.01,
        customers_per_step=10,
        revenue_per_step=Decimal("100"),
        unit_label="frauds missed",
    )
    estimate = rule.evaluate(0.85)
    assert (round(estimate.customers_per_hour), estimate.revenue_per_hour) == (
        50,
        Decimal("500.00"),
    )


def test_the_most_specific_playbook_wins(incident):
    general = Playbook.objects.create(name="Any", cadence_minutes={"executive": 45})
    assert Playbook.for_incident(incident) == general
    by_severity = Playbook.objects.create(name="SEV2", severity=2)
    assert Playbook.for_incident(incident) == by_severity
    by_tier = Playbook.objects.create(
        name="SEV2 tier 1", severity=2, risk_tier=1, cadence_minutes={"executive": 15}
    )
    assert Playbook.for_incident(incident) == by_tier
    Playbook.objects.create(name="SEV1", severity=1, risk_tier=1)
    assert Playbook.for_incident(incident) == by_tier
    assert cadence_minutes_for(by_tier, "executive", 2) == 15
    assert cadence_minutes_for(by_tier, "technical", 2) == 30  # default for SEV2
    assert cadence_minutes_for(None, "technical", 4) == 240


@pytest.mark.parametrize(
    "field,value",
    [
        ("cadence_minutes", {"executive": 0}),
        ("cadence_minutes", {"board": 30}),
        ("decision_rights", {"rollback_model": ["ceo"]}),
        ("approvals", {"customer_notice": "nobody"}),
        ("notification_thresholds", {"customer": 9}),
        ("escalation_path", [{"notify": ["janitor"]}]),
    ],
)
def test_a_playbook_refuses_malformed_rules(db, field, value):
    with pytest.raises(ValidationError) as excinfo:
        Playbook(name="Bad", **{field: value}).full_clean()
    assert field in excinfo.value.message_dict


def _points(n, metric="fpr", value=1.0):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [PointIn(metric, start + timedelta(minutes=i), value) for i in range(n)]


def test_ingestion_is_idempotent(fraud_model):
    ingest_metric_points(model=fraud_model, points=_points(100))
    ingest_metric_points(model=fraud_model, points=_points(100, value=2.0))
    assert MetricPoint.objects.count() == 100
    assert set(MetricPoint.objects.values_list("value", flat=True)) == {2.0}


@pytest.mark.parametrize(
    "point,field",
    [
        (PointIn("fpr", datetime(2026, 11, 1, tzinfo=UTC), float("nan")), "points[1].value"),
        (PointIn("fpr", datetime(2026, 11, 1, tzinfo=UTC), float("inf")), "points[1].value"),
        (PointIn("fpr", datetime(2026, 11, 1), 1.0), "points[1].timestamp"),
    ],
)
def test_ingestion_refuses_bad_points_and_writes_nothing(fraud_model, point, field):
    with pytest.raises(DomainError, match=r"points\[\d+\]\.") as excinfo:
        ingest_metric_points(model=fraud_model, points=[_points(1)[0], point])
    assert excinfo.value.field == field
    assert MetricPoint.objects.count() == 0


def test_ingestion_refuses_oversized_batches(fraud_model):
    with pytest.raises(DomainError, match=r"At most \d+ points per request\.") as excinfo:
        ingest_metric_points(model=fraud_model, points=_points(MAX_POINTS_PER_REQUEST + 1))
    assert excinfo.value.field == "points"
    assert MetricPoint.objects.count() == 0
