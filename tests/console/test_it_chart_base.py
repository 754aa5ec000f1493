"""The chart base (kit/charts.py) shared by the health charts and the communication-metric trends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import plotly.graph_objects as go

from kit.charts import figure_json, json_safe, layout


def test_datetimes_are_written_in_utc_with_a_z_and_dates_as_iso_dates():
    paris = timezone(timedelta(hours=1))
    assert json_safe(datetime(2026, 12, 4, 22, 30, tzinfo=paris)) == "2026-12-04T21:30:00Z"
    assert json_safe(date(2026, 12, 4)) == "2026-12-04"
    assert json_safe({"v": [Decimal("1.5"), (2, 3)]}) == {"v": [1.5, [2, 3]]}


def test_a_figure_becomes_plain_json_data():
    fig = go.Figure(
        data=[go.Scatter(x=[datetime(2026, 12, 4, 21, tzinfo=UTC)], y=[Decimal("2.5")])],
        layout=layout(xaxis={"type": "category"}, yaxis={"title": {"text": "count"}}),
    )
    data = figure_json(fig)
    assert data["data"][0]["x"] == ["2026-12-04T21:00:00Z"]
    assert data["data"][0]["y"] == [2.5]
    assert data["layout"]["yaxis"]["zeroline"] is False
    assert data["layout"]["xaxis"]["type"] == "category"
