"""Plotly figures built in Python, drawn in the browser by our self-hosted plotly.js.

Every chart also carries its data as a table, shown when JavaScript is off
and to screen readers. Pages render a chart with
`{% include "charts/chart.html" with chart=chart %}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from incidents.models import Incident


@dataclass
class Chart:
    id: str  # DOM id, unique on the page
    title: str
    description: str  # one sentence saying what the chart shows, for screen readers
    figure: dict[str, Any]  # plotly figure as JSON-ready data (fig.to_plotly_json())
    columns: list[str] = field(default_factory=list)  # the table fallback
    rows: list[list[str]] = field(default_factory=list)


def incident_charts(incident: Incident) -> list[Chart]:
    """Return the commander's charts for one incident (filled in by the dashboards work)."""
    return []
