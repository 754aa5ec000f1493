"""The commander's charts: figures built in Python, data in the database, tables as fallback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from comms import workflows
from console.charts import ERROR_BUDGET_MINUTES, incident_charts
from console.executive_trend import customers_trend_chart
from incidents.choices import Phase
from incidents.models import ImpactRule
from tests.builders import add_points, declare

pytestmark = pytest.mark.django_db


@pytest.fixture
def latency_rule(fraud_model):
    return ImpactRule.objects.create(
        model=fraud_model,
        metric="p95_latency_ms",
        baseline=150,
        step=50,
        customers_per_step=30,
        revenue_per_step="1200.00",
        unit_label="payments timing out per hour",
    )


@pytest.fixture
def surge(commander, fraud_model):
    """A real incident detected 3 h ago, with FP rate 5 % (3 points over baseline) since then."""
    incident = declare(commander, fraud_model, hours_ago=3)
    start = incident.detected_at - timedelta(hours=3)
    add_points(fraud_model, "false_positive_rate", [1.5] * 18 + [5.0] * 18, start=start)
    return incident


def by_suffix(charts, suffix):
    return next(c for c in charts if c.id.endswith(suffix))


def test_it_draws_trend_budget_and_impact_with_tables(surge, fraud_model):
    charts = incident_charts(surge)

    ids = [c.id for c in charts]
    rule = fraud_model.impact_rules.get()
    assert ids == [
        f"chart-{surge.pk}-trend-{rule.pk}",
        f"chart-{surge.pk}-budget",
        f"chart-{surge.pk}-impact",
    ]
    for chart in charts:
        json.dumps(chart.figure, allow_nan=False)  # JSON-safe: datetimes are ISO strings
        assert chart.figure["data"] and "layout" in chart.figure
        assert (
            chart.columns and chart.rows and all(len(r) == len(chart.columns) for r in chart.rows)
        )
        assert len(chart.rows) <= 8  # hourly rows for a ~6 h window, not one per point
    trend = by_suffix(charts, f"trend-{rule.pk}")
    assert isinstance(trend.figure["data"][-1]["x"][0], str)
    shapes = trend.figure["layout"]["shapes"]
    assert {"type": "line", "y0": 2.0, "y1": 2.0}.items() <= shapes[1].items()  # the baseline
    marks = [s for s in shapes if s.get("xref") == "x"]  # milestones: detected and declared so far
    assert [m["x0"][:16] for m in marks] == [
        surge.detected_at.strftime("%Y-%m-%dT%H:%M"),
        surge.declared_at.strftime("%Y-%m-%dT%H:%M"),
    ]


def test_milestones_are_marked(surge, commander, fraud_model):
    workflows.reach_milestone(
        incident=surge,
        phase=Phase.CONTAINED,
        indicator="FP < 2 %",
        by=commander,
        reached_at=surge.detected_at + timedelta(hours=2),
    )
    trend = incident_charts(surge)[0]
    marks = [s for s in trend.figure["layout"]["shapes"] if s.get("xref") == "x"]
    assert len(marks) == 3  # detected, declared, contained
    texts = [a["text"] for a in trend.figure["layout"]["annotations"]]
    assert "Contained" in texts


def test_error_budget_counts_minutes_on_the_bad_side(surge):
    budget = by_suffix(incident_charts(surge), "budget")
    # 18 points 10 minutes apart above the baseline: 180 bad minutes.
    burned = budget.figure["data"][0]["y"][-1]
    assert burned == pytest.approx(100 * 180 / ERROR_BUDGET_MINUTES, rel=0.03)
    assert budget.rows[-1][1].startswith("1")  # "17x min (8x %)" in the table


def test_impact_applies_the_rules_to_the_metric(surge):
    impact = by_suffix(incident_charts(surge), "impact")
    customers, revenue = impact.figure["data"][0]["y"], impact.figure["data"][1]["y"]
    # FP 5 % is 3 steps over 2 %: 3 × 120 customers and 3 × $8,500 per hour.
    assert max(customers) == pytest.approx(360)
    assert max(revenue) == pytest.approx(25500)
    assert min(customers) == 0
    assert impact.rows[-1][1:] == ["360", "$25,500"]


def test_latency_histogram_only_with_a_latency_metric(surge, fraud_model, latency_rule):
    assert not any(c.id.endswith("latency") for c in incident_charts(surge))
    add_points(
        fraud_model,
        "p95_latency_ms",
        [100, 120, 140] * 6 + [400, 420, 440] * 6,
        start=surge.detected_at - timedelta(hours=3),
    )
    histogram = by_suffix(incident_charts(surge), "latency")
    before, during = histogram.figure["data"]
    assert (sum(before["y"]), sum(during["y"])) == (18, 18)
    assert max(during["x"][i] for i, n in enumerate(during["y"]) if n) > 390
    assert histogram.columns == ["Metric", "Range", "Samples before", "Samples during"]


def test_drill_points_never_reach_a_real_incident_and_the_reverse(surge, commander, fraud_model):
    start = surge.detected_at - timedelta(hours=3)
    add_points(fraud_model, "false_positive_rate", [77.7] * 36, start=start, is_drill=True)
    real = json.dumps([(c.figure, c.rows) for c in incident_charts(surge)])
    assert "77.7" not in real and "5.0" in real

    drill = declare(commander, fraud_model, title="Drill", hours_ago=3, is_drill=True)
    drilled = json.dumps([(c.figure, c.rows) for c in incident_charts(drill)])
    assert "77.7" in drilled
    assert '"5.0"' not in drilled and ", 5.0" not in drilled and "[5.0" not in drilled


def test_no_rules_or_no_points_means_no_charts(commander, fraud_model):
    assert incident_charts(declare(commander, None, title="No models")) == []
    assert incident_charts(declare(commander, fraud_model, title="No points")) == []


@pytest.mark.parametrize("points", [100, 10_000])
def test_queries_do_not_grow_with_points(
    commander, fraud_model, latency_rule, points, django_assert_num_queries
):
    incident = declare(commander, fraud_model, hours_ago=points / 60 / 2)
    start = incident.detected_at - timedelta(hours=1)
    step = timedelta(minutes=1)
    add_points(
        fraud_model,
        "false_positive_rate",
        [1 + (i % 7) for i in range(points)],
        start=start,
        step=step,
    )
    add_points(
        fraud_model,
        "p95_latency_ms",
        [100 + (i % 300) for i in range(points)],
        start=start,
        step=step,
    )
    with django_assert_num_queries(4):  # rules, milestones, buckets, histogram
        charts = incident_charts(incident)
    assert len(charts) == 5
    assert all(len(c.figure["data"][-1]["x"]) <= 500 for c in charts)


def test_the_executive_trend_sums_incidents_in_two_queries(
    commander, fraud_model, django_assert_num_queries
):
    incident = declare(commander, fraud_model, hours_ago=3)
    add_points(
        fraud_model, "false_positive_rate", [4.0] * 30, start=timezone.now() - timedelta(hours=5)
    )
    with django_assert_num_queries(2):
        chart = customers_trend_chart([incident], {incident.pk: [fraud_model.pk]})
    assert chart.columns == ["Hour (UTC)", incident.reference, "Total"]
    assert max(chart.figure["data"][0]["y"]) == pytest.approx(240)


def test_the_template_draws_a_container_a_data_block_and_a_table(surge):
    chart = incident_charts(surge)[0]
    html = render_to_string("charts/chart.html", {"chart": chart})

    assert f'data-chart="{chart.id}-data"' in html
    assert f'<script id="{chart.id}-data" type="application/json">' in html
    assert '<div class="chart-plot" aria-hidden="true"></div>' in html
    assert f"<caption>{chart.title}: the data behind the chart</caption>" in html
    assert html.count("<tr>") == len(chart.rows) + 1
    assert "style=" not in html
    assert html.count("<script") == 1  # data only: nothing executable


def test_assets_are_self_hosted_and_deferred():
    html = render_to_string("charts/assets.html")
    assert 'src="/static/vendor/plotly/plotly.min.js" defer' in html
    assert 'src="/static/js/charts.js" defer' in html
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in html
    assert "http" not in html
