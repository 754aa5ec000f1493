"""The chart base every page's charts share: the Chart record, the look, JSON-safe figures.

Plotly figures are built in Python and drawn in the browser by our
self-hosted plotly.js (static/js/charts.js); every chart also carries its
data as a table, shown when JavaScript is off and to screen readers. Pages
render a chart with `{% include "charts/chart.html" with chart=chart %}`
(docs/dashboards.md). The console's health charts and learning's
communication-metric trends both build on this module, so they cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

PALETTE = ["#0b5cad", "#bc4c00", "#3a5a40", "#7d3c98", "#a40e26", "#00707a", "#57606a"]
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
GRID = "#eaeef2"


@dataclass
class Chart:
    id: str  # DOM id, unique on the page
    title: str
    description: str  # one sentence saying what the chart shows, for screen readers
    figure: dict[str, Any]  # plotly figure as JSON-ready data (fig.to_plotly_json())
    columns: list[str] = field(default_factory=list)  # the table fallback
    rows: list[list[str]] = field(default_factory=list)


def layout(
    *,
    xaxis: dict[str, Any],
    yaxis: dict[str, Any],
    height: int = 320,
    margin_right: int = 60,
    legend_y: float = -0.2,
) -> go.Layout:
    """Return the common look (fonts, colours, legend below, unified hover) around the axes given.

    Both axes get the light grid; the y axis never draws a zero line.
    """
    return go.Layout(
        height=height,
        margin={"l": 60, "r": margin_right, "t": 20, "b": 40},
        font={"family": FONT, "size": 12, "color": "#1b1f24"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": legend_y},
        hovermode="x unified",
        xaxis={**xaxis, "gridcolor": GRID},
        yaxis={
            "title": yaxis["title"],
            "gridcolor": GRID,
            "zeroline": False,
            **{k: v for k, v in yaxis.items() if k != "title"},
        },
    )


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """Return fig.to_plotly_json() with datetimes, decimals and arrays made JSON-safe."""
    result: dict[str, Any] = json_safe(fig.to_plotly_json())
    return result


def json_safe(value: Any) -> Any:
    """Return `value` as plain JSON data for the page's `<script type="application/json">`.

    Datetimes are written in UTC with a "Z" (the health charts' time axes,
    which charts.js reads as UTC); dates as ISO dates; Decimals as floats.
    """
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return json_safe(value.tolist())
    return value


def fmt_time(at: datetime) -> str:
    """Format a table's time cell: minutes, UTC (the column header says so)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
