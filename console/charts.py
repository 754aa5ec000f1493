"""The commander's charts of one incident: each health metric, error budget, latency, impact.

Built on the chart base (kit/charts.py: the Chart record, the look, JSON-safe
figures) and on the series of console.health_series, so queries do not grow
with the data: at most four per incident. Pages render a chart with
`{% include "charts/chart.html" with chart=chart %}` and load the chart
assets once with `{% include "charts/assets.html" %}` (or render a list of
charts and the assets with `{% include "charts/list.html" with charts=charts %}`).
docs/dashboards.md defines what each chart shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import plotly.graph_objects as go

from console.health_series import (
    HISTOGRAM_BINS,
    Bucket,
    Series,
    bucket_kind,
    histogram_counts,
    hourly_rows,
    impact_timeline,
    incident_window,
    metric_buckets,
    sampling_minutes,
    utc_hour,
)
from incidents.models import ImpactRule, Incident, Milestone
from kit.charts import PALETTE, Chart, figure_json, fmt_time, layout

# Error budget: the metric may sit on the bad side of its baseline for
# (1 - SLO) of a 30-day window. See docs/dashboards.md.
SLO_TARGET = 0.995
SLO_DAYS = 30
ERROR_BUDGET_MINUTES = (1 - SLO_TARGET) * SLO_DAYS * 24 * 60  # 216 minutes

BAD_BAND = "rgba(164, 14, 38, 0.08)"


# --- The commander's charts ------------------------------------------------------


def incident_charts(incident: Incident) -> list[Chart]:
    """Return the commander's charts for one incident.

    Queries: impact rules of the affected models, milestones, one bucketed
    aggregate of all their series, and one histogram aggregate when a
    latency metric is among them: at most four, whatever the number of points.
    """
    rules = list(
        ImpactRule.objects.filter(model__incidents=incident)
        .select_related("model")
        .distinct()
        .order_by("model__name", "metric")
    )
    if not rules:
        return []
    milestones = list(incident.milestones.all())
    start, end = incident_window(incident)
    kind = bucket_kind(end - start)
    series = metric_buckets(rules, start=start, end=end, kind=kind, is_drill=incident.is_drill)
    charts: list[Chart] = []
    for rule in rules:
        buckets = series.get((rule.model_id, rule.metric))
        if buckets:
            charts.append(trend_chart(incident, rule, buckets, milestones))
    if not charts:
        return []
    charts.append(error_budget_chart(incident, rules, series, milestones))
    latency = [
        r for r in rules if "latency" in r.metric.lower() and series.get((r.model_id, r.metric))
    ]
    if latency:
        charts.append(latency_histogram_chart(incident, latency, series))
    charts.append(impact_chart(incident, rules, series, milestones))
    return charts


def trend_chart(
    incident: Incident, rule: ImpactRule, buckets: list[Bucket], milestones: list[Milestone]
) -> Chart:
    """Draw one metric around the incident, its baseline band and the milestones."""
    x = [b.at for b in buckets]
    top = max(max(b.high for b in buckets), rule.baseline) * 1.1 or 1.0
    bottom = min(min(b.low for b in buckets), rule.baseline)
    bottom = bottom * 0.9 if bottom > 0 else bottom * 1.1
    band = (
        (rule.baseline, top)
        if rule.direction == ImpactRule.Direction.ABOVE
        else (bottom, rule.baseline)
    )
    fig = go.Figure(
        data=[
            go.Scatter(
                x=x,
                y=[b.high for b in buckets],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
                name="highest",
            ),
            go.Scatter(
                x=x,
                y=[b.low for b in buckets],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(11, 92, 173, 0.15)",
                name="range",
                hoverinfo="skip",
            ),
            go.Scatter(
                x=x,
                y=[round(b.avg, 4) for b in buckets],
                mode="lines",
                name=rule.metric,
                line={"color": PALETTE[0], "width": 2},
            ),
        ],
        layout=titled_layout(yaxis_title=rule.metric),
    )
    bad_side = "above" if rule.direction == ImpactRule.Direction.ABOVE else "below"
    shapes = [
        {
            "type": "rect",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": band[0],
            "y1": band[1],
            "fillcolor": BAD_BAND,
            "line": {"width": 0},
            "layer": "below",
        },
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": rule.baseline,
            "y1": rule.baseline,
            "line": {"color": "#a40e26", "width": 1.5, "dash": "dash"},
        },
    ]
    annotations = [
        {
            "xref": "paper",
            "x": 0,
            "xanchor": "left",
            "yref": "y",
            "y": rule.baseline,
            "yanchor": "bottom",
            "text": f"baseline {rule.baseline:g} ({bad_side} is bad)",
            "showarrow": False,
            "font": {"size": 11, "color": "#a40e26"},
        }
    ]
    _mark_milestones(shapes, annotations, milestones, x[0], x[-1])
    fig.update_layout(shapes=shapes, annotations=annotations, yaxis={"range": [bottom, top]})
    hourly = hourly_rows(buckets)
    return Chart(
        id=f"chart-{incident.pk}-trend-{rule.pk}",
        title=f"{rule.model.name}: {rule.metric}",
        description=(
            f"{rule.metric} of {rule.model.name} from {fmt_time(x[0])} to {fmt_time(x[-1])} UTC, "
            f"against its baseline of {rule.baseline:g} ({bad_side} the baseline is bad), "
            f"with the incident's milestones marked. Peak {max(b.high for b in buckets):g}."
        ),
        figure=figure_json(fig),
        columns=["Hour (UTC)", "Average", "Lowest", "Highest", f"Samples {bad_side} baseline"],
        rows=[
            [fmt_time(h), _num(avg), _num(low), _num(high), f"{bad} of {n}"]
            for h, avg, low, high, n, bad in hourly
        ],
    )


def error_budget_chart(
    incident: Incident, rules: Sequence[ImpactRule], series: Series, milestones: list[Milestone]
) -> Chart:
    """Draw the cumulative share of the 30-day error budget each metric burned in the window."""
    traces: list[go.Scatter] = []
    rows_by_hour: dict[datetime, dict[str, tuple[float, float]]] = defaultdict(dict)
    first_x = last_x = None
    labels = []
    for i, rule in enumerate(rules):
        buckets = series.get((rule.model_id, rule.metric))
        if not buckets:
            continue
        label = f"{rule.model.name}: {rule.metric}"
        labels.append(label)
        interval = sampling_minutes(buckets)
        burned, x, y = 0.0, [], []
        for b in buckets:
            burned += b.bad * interval
            x.append(b.at)
            y.append(round(100 * burned / ERROR_BUDGET_MINUTES, 2))
            rows_by_hour[utc_hour(b.at)][label] = (burned, y[-1])
        first_x = min(first_x or x[0], x[0])
        last_x = max(last_x or x[-1], x[-1])
        traces.append(
            go.Scatter(
                x=x, y=y, mode="lines", name=label, line={"color": PALETTE[i % len(PALETTE)]}
            )
        )
    fig = go.Figure(data=traces, layout=titled_layout(yaxis_title="% of 30-day error budget"))
    shapes = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": "y",
            "y0": 100,
            "y1": 100,
            "line": {"color": "#a40e26", "width": 1.5, "dash": "dash"},
        }
    ]
    annotations = [
        {
            "xref": "paper",
            "x": 0,
            "xanchor": "left",
            "yref": "y",
            "y": 100,
            "yanchor": "bottom",
            "text": "budget exhausted",
            "showarrow": False,
            "font": {"size": 11, "color": "#a40e26"},
        }
    ]
    _mark_milestones(shapes, annotations, milestones, first_x, last_x)
    fig.update_layout(shapes=shapes, annotations=annotations)
    rows = []
    last: dict[str, tuple[float, float]] = {}
    for hour in sorted(rows_by_hour):
        last.update(rows_by_hour[hour])
        rows.append(
            [
                fmt_time(hour),
                *(
                    f"{last[label][0]:,.0f} min ({last[label][1]:g} %)" if label in last else "—"
                    for label in labels
                ),
            ]
        )
    return Chart(
        id=f"chart-{incident.pk}-budget",
        title="Error-budget burn",
        description=(
            f"Minutes each metric spent on the bad side of its baseline since the start of the chart, "
            f"as a share of a {SLO_DAYS}-day error budget of {ERROR_BUDGET_MINUTES:g} minutes "
            f"({SLO_TARGET:.1%} target). 100 % means the budget is gone."
        ),
        figure=figure_json(fig),
        columns=["Hour (UTC)", *labels],
        rows=rows,
    )


def latency_histogram_chart(
    incident: Incident, rules: Sequence[ImpactRule], series: Series
) -> Chart:
    """Draw how latency values were distributed before and during the incident (binned in the database)."""
    ranges = {}
    for rule in rules:
        buckets = series[(rule.model_id, rule.metric)]
        low, high = min(b.low for b in buckets), max(b.high for b in buckets)
        width = (high - low) / HISTOGRAM_BINS or 1.0
        ranges[(rule.model_id, rule.metric)] = (low, width)
    counts = histogram_counts(incident, ranges)
    traces, rows = [], []
    for i, rule in enumerate(rules):
        key = (rule.model_id, rule.metric)
        low, width = ranges[key]
        for j, (period, label) in enumerate(
            (("before", "before the incident"), ("during", "during the incident"))
        ):
            bins = counts.get((*key, period), {})
            centres = [low + (k + 0.5) * width for k in range(HISTOGRAM_BINS)]
            values = [bins.get(k, 0) for k in range(HISTOGRAM_BINS)]
            name = f"{rule.model.name}: {rule.metric}, {label}"
            traces.append(
                go.Bar(
                    x=[round(c, 2) for c in centres],
                    y=values,
                    width=width,
                    name=name,
                    opacity=0.7,
                    marker={"color": PALETTE[(2 * i + j) % len(PALETTE)]},
                )
            )
        for k in range(HISTOGRAM_BINS):
            before = counts.get((*key, "before"), {}).get(k, 0)
            during = counts.get((*key, "during"), {}).get(k, 0)
            if before or during:
                rows.append(
                    [
                        f"{rule.model.name}: {rule.metric}",
                        f"{_num(low + k * width)}–{_num(low + (k + 1) * width)}",
                        str(before),
                        str(during),
                    ]
                )
    fig = go.Figure(data=traces, layout=titled_layout(yaxis_title="samples", xaxis_title="latency"))
    fig.update_layout(barmode="overlay", xaxis={"type": "linear"})
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "x0": r.baseline,
            "x1": r.baseline,
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "line": {"color": "#a40e26", "width": 1.5, "dash": "dash"},
        }
        for r in rules
    ]
    fig.update_layout(shapes=shapes)
    return Chart(
        id=f"chart-{incident.pk}-latency",
        title="Latency distribution",
        description=(
            "How many latency samples fell in each range before and during the incident; "
            "the dashed line is the baseline."
        ),
        figure=figure_json(fig),
        columns=["Metric", "Range", "Samples before", "Samples during"],
        rows=rows,
    )


def impact_chart(
    incident: Incident, rules: Sequence[ImpactRule], series: Series, milestones: list[Milestone]
) -> Chart:
    """Draw customers affected and revenue at risk per hour, from the impact rules applied to the metrics."""
    timeline = impact_timeline(rules, series)
    x = [t for t, _, _ in timeline]
    fig = go.Figure(
        data=[
            go.Scatter(
                x=x,
                y=[c for _, c, _ in timeline],
                mode="lines",
                name="customers affected per hour",
                line={"color": PALETTE[1], "width": 2},
            ),
            go.Scatter(
                x=x,
                y=[float(r) for _, _, r in timeline],
                mode="lines",
                name="revenue at risk per hour",
                yaxis="y2",
                line={"color": PALETTE[0], "width": 2, "dash": "dot"},
            ),
        ],
        layout=titled_layout(yaxis_title="customers per hour"),
    )
    fig.update_layout(
        yaxis2={
            "title": {"text": "revenue per hour"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "tickprefix": "$",
        },
        yaxis={"rangemode": "tozero"},
    )
    shapes: list[dict] = []
    annotations: list[dict] = []
    if x:
        _mark_milestones(shapes, annotations, milestones, x[0], x[-1])
    fig.update_layout(shapes=shapes, annotations=annotations)
    hourly: dict[datetime, list[tuple[float, Decimal]]] = defaultdict(list)
    for t, customers, revenue in timeline:
        hourly[utc_hour(t)].append((customers, revenue))
    rows = [
        [
            fmt_time(h),
            f"{sum(c for c, _ in v) / len(v):,.0f}",
            f"${sum(r for _, r in v) / len(v):,.0f}",
        ]
        for h, v in sorted(hourly.items())
    ]
    peak = max((c for _, c, _ in timeline), default=0)
    return Chart(
        id=f"chart-{incident.pk}-impact",
        title="Customers affected and revenue at risk",
        description=(
            f"Customers affected and revenue at risk per hour, estimated by applying the models' impact "
            f"rules to their metrics; peak {peak:,.0f} customers per hour."
        ),
        figure=figure_json(fig),
        columns=["Hour (UTC)", "Customers affected per hour", "Revenue at risk per hour"],
        rows=rows,
    )


# --- Helpers ----------------------------------------------------------------------


def titled_layout(*, yaxis_title: str = "", xaxis_title: str = "", height: int = 320) -> go.Layout:
    """Return the health charts' layout: a time (or value) x axis and a titled y axis."""
    return layout(
        xaxis={"title": {"text": xaxis_title}},
        yaxis={"title": {"text": yaxis_title}},
        height=height,
    )


def _mark_milestones(
    shapes: list[dict],
    annotations: list[dict],
    milestones: Iterable[Milestone],
    first: datetime | None,
    last: datetime | None,
) -> None:
    """Add a dotted vertical line and a label per milestone inside [first, last]."""
    if first is None or last is None:
        return
    for i, milestone in enumerate(milestones):
        if not first <= milestone.reached_at <= last + timedelta(hours=1):
            continue
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": milestone.reached_at,
                "x1": milestone.reached_at,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#3a5a40", "width": 1, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "xref": "x",
                "x": milestone.reached_at,
                "yref": "paper",
                "y": 1 - 0.08 * (i % 3),
                "text": milestone.get_phase_display(),
                "showarrow": False,
                "xanchor": "left",
                "font": {"size": 10, "color": "#3a5a40"},
                "bgcolor": "rgba(255,255,255,0.8)",
            }
        )


def _num(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
