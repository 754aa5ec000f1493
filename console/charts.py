"""Plotly figures built in Python, drawn in the browser by our self-hosted plotly.js.

Every chart also carries its data as a table, shown when JavaScript is off
and to screen readers. Pages render a chart with
`{% include "charts/chart.html" with chart=chart %}` and load the chart
assets once with `{% include "charts/assets.html" %}` (or render a list of
charts and the assets with `{% include "charts/list.html" with charts=charts %}`).

Queries do not grow with the data: metric points are bucketed and
aggregated in the database (one query for every series of an incident, one
more for the latency histogram), and everything else is arithmetic on the
buckets. docs/dashboards.md defines what each chart shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
from django.db.models import Avg, Case, Count, F, IntegerField, Max, Min, Q, Value, When
from django.db.models.functions import ExtractMinute, Floor, Trunc
from django.utils import timezone

from incidents.models import ImpactRule, Incident, MetricPoint, Milestone

# Error budget: the metric may sit on the bad side of its baseline for
# (1 - SLO) of a 30-day window. See docs/dashboards.md.
SLO_TARGET = 0.995
SLO_DAYS = 30
ERROR_BUDGET_MINUTES = (1 - SLO_TARGET) * SLO_DAYS * 24 * 60  # 216 minutes

# How far around the incident the charts look.
PAD_BEFORE = timedelta(hours=6)
PAD_AFTER = timedelta(hours=2)
MAX_WINDOW = timedelta(days=14)
HISTOGRAM_BINS = 20
# Incidents drawn as their own line on the executive trend; the rest are summed.
TREND_TOP = 6

PALETTE = ["#0b5cad", "#bc4c00", "#3a5a40", "#7d3c98", "#a40e26", "#00707a", "#57606a"]
BAD_BAND = "rgba(164, 14, 38, 0.08)"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


@dataclass
class Chart:
    id: str  # DOM id, unique on the page
    title: str
    description: str  # one sentence saying what the chart shows, for screen readers
    figure: dict[str, Any]  # plotly figure as JSON-ready data (fig.to_plotly_json())
    columns: list[str] = field(default_factory=list)  # the table fallback
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Bucket:
    """Aggregated points of one series (model, metric) in one time bucket."""

    at: datetime
    avg: float
    low: float
    high: float
    count: int
    bad: int  # points on the bad side of the rule's baseline
    first: datetime
    last: datetime


Series = dict[tuple[int, str], list[Bucket]]


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


def incident_window(
    incident: Incident, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """Return the span the charts show: from before detection to after resolution (or now)."""
    now = now or timezone.now()
    start = incident.detected_at - PAD_BEFORE
    end = min(now, incident.resolved_at + PAD_AFTER) if incident.resolved_at else now
    end = max(end, incident.detected_at + timedelta(hours=1))
    return max(start, end - MAX_WINDOW), end


def bucket_kind(span: timedelta) -> str:
    """Pick a bucket size that keeps a series to a few hundred points at most."""
    if span <= timedelta(hours=6):
        return "minute"
    if span <= timedelta(days=3):
        return "10min"
    if span <= timedelta(days=20):
        return "hour"
    return "day"


def metric_buckets(
    rules: Sequence[ImpactRule], *, start: datetime, end: datetime, kind: str, is_drill: bool
) -> Series:
    """Return the rules' series bucketed in the database, in one query.

    Drill incidents read drill points and real incidents real ones, so the
    two never mix.
    """
    if not rules:
        return {}
    bad = Q()
    for rule in rules:
        side = "value__gt" if rule.direction == ImpactRule.Direction.ABOVE else "value__lt"
        bad |= Q(model_id=rule.model_id, metric=rule.metric, **{side: rule.baseline})
    points = MetricPoint.objects.filter(
        model_id__in={r.model_id for r in rules},
        metric__in={r.metric for r in rules},
        is_drill=is_drill,
        timestamp__gte=start,
        timestamp__lte=end,
    )
    if kind == "10min":
        # The hour, then which ten minutes of it: portable, no epoch arithmetic.
        points = points.annotate(
            bucket=Trunc("timestamp", "hour", tzinfo=UTC),
            tenth=Floor(ExtractMinute("timestamp", tzinfo=UTC) / 10),
        )
        keys = ["model_id", "metric", "bucket", "tenth"]
    else:
        points = points.annotate(bucket=Trunc("timestamp", kind, tzinfo=UTC))
        keys = ["model_id", "metric", "bucket"]
    rows = (
        points.values(*keys)
        .annotate(
            avg=Avg("value"),
            low=Min("value"),
            high=Max("value"),
            n=Count("id"),
            bad=Count("id", filter=bad),
            first=Min("timestamp"),
            last=Max("timestamp"),
        )
        .order_by(*keys)
    )
    wanted = {(r.model_id, r.metric) for r in rules}
    series: Series = defaultdict(list)
    for row in rows:
        key = (row["model_id"], row["metric"])
        if key in wanted:
            at = (
                row["bucket"] + timedelta(minutes=10 * int(row["tenth"]))
                if "tenth" in row
                else row["bucket"]
            )
            series[key].append(
                Bucket(
                    at=at,
                    avg=row["avg"],
                    low=row["low"],
                    high=row["high"],
                    count=row["n"],
                    bad=row["bad"],
                    first=row["first"],
                    last=row["last"],
                )
            )
    return dict(series)


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
        layout=_layout(yaxis_title=rule.metric),
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
    hourly = _hourly(buckets)
    return Chart(
        id=f"chart-{incident.pk}-trend-{rule.pk}",
        title=f"{rule.model.name}: {rule.metric}",
        description=(
            f"{rule.metric} of {rule.model.name} from {_fmt_time(x[0])} to {_fmt_time(x[-1])} UTC, "
            f"against its baseline of {rule.baseline:g} ({bad_side} the baseline is bad), "
            f"with the incident's milestones marked. Peak {max(b.high for b in buckets):g}."
        ),
        figure=_figure_json(fig),
        columns=["Hour (UTC)", "Average", "Lowest", "Highest", f"Samples {bad_side} baseline"],
        rows=[
            [_fmt_time(h), _num(avg), _num(low), _num(high), f"{bad} of {n}"]
            for h, avg, low, high, n, bad in hourly
        ],
    )


def error_budget_chart(
    incident: Incident, rules: Sequence[ImpactRule], series: Series, milestones: list[Milestone]
) -> Chart:
    """Draw the cumulative share of the 30-day error budget each metric burned in the window."""
    traces, rows_by_hour = [], defaultdict(dict)
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
            rows_by_hour[_hour(b.at)][label] = (burned, y[-1])
        first_x = min(first_x or x[0], x[0])
        last_x = max(last_x or x[-1], x[-1])
        traces.append(
            go.Scatter(
                x=x, y=y, mode="lines", name=label, line={"color": PALETTE[i % len(PALETTE)]}
            )
        )
    fig = go.Figure(data=traces, layout=_layout(yaxis_title="% of 30-day error budget"))
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
                _fmt_time(hour),
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
        figure=_figure_json(fig),
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
    fig = go.Figure(data=traces, layout=_layout(yaxis_title="samples", xaxis_title="latency"))
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
        figure=_figure_json(fig),
        columns=["Metric", "Range", "Samples before", "Samples during"],
        rows=rows,
    )


def histogram_counts(
    incident: Incident, ranges: dict[tuple[int, str], tuple[float, float]]
) -> dict:
    """Count points per (series, before/during, bin) in one query."""
    which = Q()
    bins = []
    for (model_id, metric), (low, width) in ranges.items():
        which |= Q(model_id=model_id, metric=metric)
        bins.append(When(model_id=model_id, metric=metric, then=Floor((F("value") - low) / width)))
    start, end = incident_window(incident)
    rows = (
        MetricPoint.objects.filter(
            which, is_drill=incident.is_drill, timestamp__gte=start, timestamp__lte=end
        )
        .annotate(
            bin=Case(*bins, output_field=IntegerField()),
            period=Case(
                When(timestamp__gte=incident.detected_at, then=Value("during")),
                default=Value("before"),
            ),
        )
        .values("model_id", "metric", "period", "bin")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[int, str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        k = min(max(int(row["bin"]), 0), HISTOGRAM_BINS - 1)  # the maximum lands on the upper edge
        counts[(row["model_id"], row["metric"], row["period"])][k] += row["n"]
    return counts


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
        layout=_layout(yaxis_title="customers per hour"),
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
        hourly[_hour(t)].append((customers, revenue))
    rows = [
        [
            _fmt_time(h),
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
        figure=_figure_json(fig),
        columns=["Hour (UTC)", "Customers affected per hour", "Revenue at risk per hour"],
        rows=rows,
    )


def impact_timeline(
    rules: Sequence[ImpactRule], series: Series
) -> list[tuple[datetime, float, Decimal]]:
    """Return (time, customers/hour, revenue/hour) summed over the rules.

    Each rule is evaluated on the bucket average of its metric; a series
    without a bucket at some instant keeps its last value (carry forward).
    """
    instants = sorted({b.at for r in rules for b in series.get((r.model_id, r.metric), [])})
    per_rule = []
    for rule in rules:
        by_time = {b.at: rule.evaluate(b.avg) for b in series.get((rule.model_id, rule.metric), [])}
        per_rule.append(by_time)
    out, last = [], [None] * len(per_rule)
    for t in instants:
        customers, revenue = 0.0, Decimal("0")
        for i, by_time in enumerate(per_rule):
            last[i] = by_time.get(t, last[i])
            if last[i] is not None:
                customers += last[i].customers_per_hour
                revenue += last[i].revenue_per_hour
        out.append((t, round(customers, 1), revenue))
    return out


def sampling_minutes(buckets: Sequence[Bucket]) -> float:
    """Return the series' average minutes between points (what one point stands for)."""
    n = sum(b.count for b in buckets)
    span = (buckets[-1].last - buckets[0].first).total_seconds() / 60
    return span / (n - 1) if n > 1 and span > 0 else 1.0


# --- The executive trend -----------------------------------------------------------


def customers_trend_chart(
    incidents: Sequence[Incident],
    model_ids: dict[int, list[int]],
    *,
    now: datetime | None = None,
    hours: int = 24,
    chart_id: str = "chart-customers-trend",
) -> Chart | None:
    """Draw customers affected per hour over the last `hours` for the given real incidents.

    `model_ids` maps incident id -> ids of its affected models (the caller
    already has them). Two queries: the rules, then one bucketed aggregate.
    The largest incidents get a line each; the others are summed.
    """
    now = now or timezone.now()
    wanted = {m for ids in model_ids.values() for m in ids}
    if not incidents or not wanted:
        return None
    rules = list(ImpactRule.objects.filter(model_id__in=wanted).order_by("model_id", "metric"))
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    series = metric_buckets(
        rules, start=end - timedelta(hours=hours), end=now, kind="hour", is_drill=False
    )
    if not series:
        return None
    rules_of_model: dict[int, list[ImpactRule]] = defaultdict(list)
    for rule in rules:
        rules_of_model[rule.model_id].append(rule)
    hours_x = [end - timedelta(hours=h) for h in range(hours, 0, -1)]
    lines: list[tuple[Incident, dict[datetime, float]]] = []
    timelines: dict[tuple[int, ...], dict[datetime, float]] = {}  # incidents often share models
    for incident in incidents:
        key = tuple(sorted(set(model_ids.get(incident.pk, []))))
        if key not in timelines:
            incident_rules = [r for m in key for r in rules_of_model[m]]
            timelines[key] = {t: c for t, c, _ in impact_timeline(incident_rules, series)}
        known = timelines[key]
        # An hour without points yet (the current one, a late feed) keeps the last known figure.
        values, last = {}, 0.0
        for h in hours_x:
            values[h] = last = known.get(h, last)
        lines.append((incident, values))
    lines.sort(key=lambda item: -max(item[1].values(), default=0))
    top, rest = lines[:TREND_TOP], lines[TREND_TOP:]
    traces = [
        go.Scatter(
            x=hours_x,
            y=[values.get(h, 0) for h in hours_x],
            mode="lines",
            stackgroup="one",
            name=f"{incident.reference} {incident.title}"[:60],
            line={"color": PALETTE[i % len(PALETTE)]},
        )
        for i, (incident, values) in enumerate(top)
    ]
    other = [sum(values.get(h, 0) for _, values in rest) for h in hours_x]
    if rest:
        traces.append(
            go.Scatter(
                x=hours_x,
                y=other,
                mode="lines",
                stackgroup="one",
                name=f"{len(rest)} other incidents",
                line={"color": "#8c959f"},
            )
        )
    fig = go.Figure(
        data=traces, layout=_layout(yaxis_title="customers affected per hour", height=300)
    )
    total = [sum(values.get(h, 0) for _, values in lines) for h in hours_x]
    columns = ["Hour (UTC)", *(incident.reference for incident, _ in top)]
    if rest:
        columns.append("Other incidents")
    columns.append("Total")
    rows = [
        [
            _fmt_time(h),
            *(f"{values.get(h, 0):,.0f}" for _, values in top),
            *([f"{other[i]:,.0f}"] if rest else []),
            f"{total[i]:,.0f}",
        ]
        for i, h in enumerate(hours_x)
    ]
    return Chart(
        id=chart_id,
        title=f"Customers affected per hour, last {hours} hours",
        description=(
            f"Estimated customers affected per hour by the active incidents over the last {hours} hours, "
            f"from the models' impact rules; now {total[-1]:,.0f} per hour in total."
        ),
        figure=_figure_json(fig),
        columns=columns,
        rows=rows,
    )


# --- Helpers ----------------------------------------------------------------------


def _layout(*, yaxis_title: str = "", xaxis_title: str = "", height: int = 320) -> go.Layout:
    return go.Layout(
        height=height,
        margin={"l": 60, "r": 60, "t": 20, "b": 40},
        font={"family": FONT, "size": 12, "color": "#1b1f24"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
        xaxis={"title": {"text": xaxis_title}, "gridcolor": "#eaeef2"},
        yaxis={"title": {"text": yaxis_title}, "gridcolor": "#eaeef2", "zeroline": False},
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


def _figure_json(fig: go.Figure) -> dict[str, Any]:
    """Return fig.to_plotly_json() with datetimes, decimals and arrays made JSON-safe."""
    return _json_safe(fig.to_plotly_json())


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _json_safe(value.tolist())
    return value


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _hourly(buckets: Sequence[Bucket]) -> list[tuple[datetime, float, float, float, int, int]]:
    """Merge buckets into hours for the table: (hour, mean, low, high, samples, bad samples)."""
    merged: dict[datetime, list[Bucket]] = defaultdict(list)
    for b in buckets:
        merged[_hour(b.at)].append(b)
    out = []
    for hour, group in sorted(merged.items()):
        n = sum(b.count for b in group)
        mean = sum(b.avg * b.count for b in group) / n
        out.append(
            (
                hour,
                mean,
                min(b.low for b in group),
                max(b.high for b in group),
                n,
                sum(b.bad for b in group),
            )
        )
    return out


def _fmt_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _num(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
