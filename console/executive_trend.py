"""The executive status page's trend: customers affected per hour by the active incidents.

Two queries whatever the number of incidents: the impact rules of their
models, then one bucketed aggregate (console.health_series). The largest
incidents get a line each; the others are summed. docs/dashboards.md
defines the chart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from console.charts import titled_layout
from console.health_series import impact_timeline, metric_buckets
from incidents.models import ImpactRule, Incident
from kit.charts import PALETTE, Chart, fmt_time, json_safe

# Incidents drawn as their own line on the executive trend; the rest are summed.
TREND_TOP = 6


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
    # Plain trace dicts (what go.Scatter(...).to_plotly_json() gives), not plotly objects:
    # their validation was a sixth of a cold render of the executive page (#12).
    traces: list[dict[str, Any]] = [
        _line(
            hours_x,
            [values.get(h, 0) for h in hours_x],
            f"{incident.reference} {incident.title}"[:60],
            PALETTE[i % len(PALETTE)],
        )
        for i, (incident, values) in enumerate(top)
    ]
    other = [sum(values.get(h, 0) for _, values in rest) for h in hours_x]
    if rest:
        traces.append(_line(hours_x, other, f"{len(rest)} other incidents", "#8c959f"))
    layout = titled_layout(yaxis_title="customers affected per hour", height=300)
    total = [sum(values.get(h, 0) for _, values in lines) for h in hours_x]
    columns = ["Hour (UTC)", *(incident.reference for incident, _ in top)]
    if rest:
        columns.append("Other incidents")
    columns.append("Total")
    rows = [
        [
            fmt_time(h),
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
        figure=json_safe({"data": traces, "layout": layout.to_plotly_json()}),
        columns=columns,
        rows=rows,
    )


def _line(x: list[datetime], y: list[float], name: str, color: str) -> dict[str, Any]:
    """One stacked line of the trend, as plotly.js reads it."""
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "lines",
        "stackgroup": "one",
        "name": name,
        "line": {"color": color},
    }
