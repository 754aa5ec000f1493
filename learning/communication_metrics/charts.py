"""Monthly trend charts of the communication metrics, with their tables.

The same chart base as the console's health charts (kit/charts.py,
templates/charts/chart.html): a plotly figure as JSON-ready data drawn by
static/js/charts.js, and the same data as a table, shown without JavaScript
and kept for screen readers. The x axis holds month labels, never datetimes.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from kit.charts import PALETTE, Chart, figure_json, layout
from learning.communication_metrics import AUDIENCES, GroupMetrics, Section
from learning.communication_metrics.present import (
    AUDIENCE_LABELS,
    fmt_duration,
    fmt_share,
    month_label,
)


def _layout(*, yaxis_title: str, yrange: list[float] | None = None) -> go.Layout:
    """Months as categories: one month of data is one labelled point, not a zoomed-in day axis."""
    yaxis: dict[str, Any] = {"title": {"text": yaxis_title}, "rangemode": "tozero"}
    if yrange:
        yaxis["range"] = yrange
    return layout(
        xaxis={"type": "category"}, yaxis=yaxis, height=300, margin_right=30, legend_y=-0.25
    )


def _minutes(value: Any) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 2)


def _pct(met: int, total: int) -> float | None:
    return round(100 * met / total, 1) if total else None


def _rating(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def month_charts(section: Section, *, prefix: str) -> list[Chart]:
    """Return the monthly trends of one section (real or drill): durations, schedule, satisfaction, nudges."""
    months: list[GroupMetrics] = section.aggregates.by_month
    x = [month_label(g.key) for g in months]
    kind = "drill" if section.is_drill else "real"
    clock = " on the drill clock" if section.is_drill else ""

    durations = go.Figure(
        data=[
            go.Scatter(
                x=x,
                y=[_minutes(getattr(g, attr)) for g in months],
                mode="lines+markers",
                name=name,
                line={"color": PALETTE[i]},
                connectgaps=False,
            )
            for i, (attr, name) in enumerate(
                (
                    ("time_to_first_update", "time to first update"),
                    ("time_to_containment", "time to containment"),
                    ("time_to_decision", "time to decision"),
                )
            )
        ],
        layout=_layout(yaxis_title="minutes (median)"),
    )
    schedule = go.Figure(
        data=[
            go.Scatter(
                x=x,
                y=[_pct(*g.slots.get(a, (0, 0))) for g in months],
                mode="lines+markers",
                name=AUDIENCE_LABELS[a],
                line={"color": PALETTE[i]},
            )
            for i, a in enumerate(AUDIENCES)
            if any(g.slots.get(a, (0, 0))[1] for g in months)
        ],
        layout=_layout(yaxis_title="% of slots met", yrange=[0, 105]),
    )
    satisfaction = go.Figure(
        data=[
            go.Scatter(
                x=x,
                y=[_rating(g.satisfaction_all[i]) for g in months],
                mode="lines+markers",
                name=name,
                line={"color": PALETTE[i], "dash": "solid" if i == 0 else "dot"},
            )
            for i, name in enumerate(("clarity", "usefulness"))
        ],
        layout=_layout(yaxis_title="mean rating (1–5)", yrange=[0, 5.2]),
    )
    nudges = go.Figure(
        data=[
            go.Bar(
                x=x, y=[g.reminders for g in months], name="reminders", marker={"color": PALETTE[1]}
            ),
            go.Bar(
                x=x,
                y=[g.escalations for g in months],
                name="escalations",
                marker={"color": PALETTE[4]},
            ),
        ],
        layout=_layout(yaxis_title="count"),
    )
    nudges.update_layout(barmode="group")

    def audience_cells(g: GroupMetrics) -> list[str]:
        return [fmt_share(*g.slots.get(a, (0, 0))) for a in AUDIENCES]

    def rating_cell(value: float | None) -> str:
        return "—" if value is None else f"{value:.2f}"

    return [
        Chart(
            id=f"{prefix}-durations",
            title=f"Time to first update, containment and decision by month ({kind} incidents)",
            description=(
                f"Median minutes{clock} from detection to the first published update and to containment, "
                "and from a decision request to the decision that settled it, per month of declaration."
            ),
            figure=figure_json(durations),
            columns=[
                "Month",
                "Incidents",
                "Time to first update",
                "Time to containment",
                "Time to decision",
            ],
            rows=[
                [
                    x[i],
                    str(g.incidents),
                    fmt_duration(g.time_to_first_update),
                    fmt_duration(g.time_to_containment),
                    fmt_duration(g.time_to_decision),
                ]
                for i, g in enumerate(months)
            ],
        ),
        Chart(
            id=f"{prefix}-schedule",
            title=f"Updates on schedule by month and audience ({kind} incidents)",
            description="Share of decided update slots (cadence deadlines) met on time, per audience and month.",
            figure=figure_json(schedule),
            columns=["Month", *(AUDIENCE_LABELS[a] for a in AUDIENCES), "All audiences"],
            rows=[
                [
                    x[i],
                    *audience_cells(g),
                    fmt_share(
                        sum(v[0] for v in g.slots.values()), sum(v[1] for v in g.slots.values())
                    ),
                ]
                for i, g in enumerate(months)
            ],
        ),
        Chart(
            id=f"{prefix}-satisfaction",
            title=f"Stakeholder satisfaction by month ({kind} incidents)",
            description=(
                "Mean clarity and usefulness (1 to 5) of the readers' ratings of updates, "
                "all audiences, per month."
            ),
            figure=figure_json(satisfaction),
            columns=["Month", "Mean clarity", "Mean usefulness", "Ratings"],
            rows=[
                [
                    x[i],
                    rating_cell(g.satisfaction_all[0]),
                    rating_cell(g.satisfaction_all[1]),
                    str(g.satisfaction_all[2]),
                ]
                for i, g in enumerate(months)
            ],
        ),
        Chart(
            id=f"{prefix}-nudges",
            title=f"Reminders and escalations by month ({kind} incidents)",
            description=(
                "Cadence reminders (an update slot passed its due time) and escalations "
                "(still missing after the grace period)."
            ),
            figure=figure_json(nudges),
            columns=["Month", "Reminders", "Escalations"],
            rows=[[x[i], str(g.reminders), str(g.escalations)] for i, g in enumerate(months)],
        ),
    ]
