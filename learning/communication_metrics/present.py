"""The metrics as people read them: table rows for the page, and the CSV export.

Durations are shown in minutes (hours and days past 90 minutes); the CSV
gives plain numbers of minutes so spreadsheets can sum and chart them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from django.urls import reverse

from incidents.choices import Audience
from learning.communication_metrics import AUDIENCES, GroupMetrics, IncidentMetrics, Report, Section

AUDIENCE_LABELS: dict[str, str] = dict(Audience.choices)
TABLE_LIMIT = 200  # incident rows on the page; rendering, not queries, grows with them


def fmt_duration(value: timedelta | None) -> str:
    """Return "45 s", "32 min", "2 h 05 min" or "3 d 4 h"; "—" for no value."""
    if value is None:
        return "—"
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // 1440} d {minutes % 1440 // 60} h"


def fmt_share(met: int, total: int) -> str:
    return f"{met} of {total} ({round(100 * met / total)} %)" if total else "—"


def fmt_rating(clarity: float | None, usefulness: float | None, n: int) -> str:
    if not n:
        return "—"
    return f"clarity {clarity:.1f}, usefulness {usefulness:.1f} ({n} rating{'s' if n != 1 else ''})"


def minutes(value: timedelta | None) -> str:
    """Minutes with up to two decimals for the CSV; empty for no value."""
    if value is None:
        return ""
    return f"{value.total_seconds() / 60:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Row:
    """One line of a metrics table: an incident or a group of incidents."""

    label: str
    url: str
    incidents: int
    first_update: str
    containment: str
    decision: str
    decisions: str  # "2 settled, 1 open"
    schedule: list[tuple[str, str]]  # (audience label, "2 of 3 (67 %)") for audiences with slots
    satisfaction: list[
        tuple[str, str]
    ]  # (audience label, "clarity 3.5, usefulness 4.0 (3 ratings)")
    reminders: int
    escalations: int
    schedule_all: str = "—"  # all audiences together
    satisfaction_all: str = "—"
    ratings_short: str = "—"  # "3.8 / 3.6": mean clarity / usefulness, all audiences
    ratings_n: int = 0
    severity: int | None = None
    declared_at: datetime | None = None
    clock_factor: int = 1


def _decisions(settled: int, open_: int) -> str:
    return f"{settled} settled" + (f", {open_} open" if open_ else "")


class AllAudiences(TypedDict):
    """The all-audience cells of a Row, spread into it by name."""

    schedule_all: str
    satisfaction_all: str
    ratings_short: str
    ratings_n: int


def _all(slots: dict, ratings: dict) -> AllAudiences:
    """The all-audience summaries: Σ met / Σ slots, and the pooled mean ratings."""
    met, total = sum(v[0] for v in slots.values()), sum(v[1] for v in slots.values())
    n = sum(v[2] for v in ratings.values())
    c = sum(v[0] for v in ratings.values())
    u = sum(v[1] for v in ratings.values())
    return {
        "schedule_all": fmt_share(met, total),
        "satisfaction_all": fmt_rating(c / n, u / n, n) if n else "—",
        "ratings_short": f"{c / n:.1f} / {u / n:.1f}" if n else "—",
        "ratings_n": n,
    }


def _per_audience(
    slots: dict, ratings: dict
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    schedule = [
        (AUDIENCE_LABELS[a], fmt_share(*slots[a])) for a in AUDIENCES if slots.get(a, (0, 0))[1]
    ]
    satisfaction = [
        (AUDIENCE_LABELS[a], fmt_rating(*ratings[a])) for a in AUDIENCES if a in ratings
    ]
    return schedule, satisfaction


def incident_row(m: IncidentMetrics) -> Row:
    schedule, satisfaction = _per_audience(m.slots, m.satisfaction)
    return Row(
        label=f"{m.reference} {m.title}",
        url=reverse("incidents:detail", args=[m.incident_id]),
        incidents=1,
        first_update=fmt_duration(m.time_to_first_update),
        containment=fmt_duration(m.time_to_containment),
        decision=fmt_duration(m.time_to_decision),
        decisions=_decisions(len(m.decision_times), m.open_decisions),
        schedule=schedule,
        satisfaction=satisfaction,
        reminders=m.reminders,
        escalations=m.escalations,
        severity=m.severity,
        declared_at=m.declared_at,
        clock_factor=m.clock_factor,
        **_all(m.slots, m.rating_sums),
    )


def group_row(g: GroupMetrics, label: str) -> Row:
    schedule, satisfaction = _per_audience(g.slots, g.satisfaction)
    return Row(
        label=label,
        url="",
        incidents=g.incidents,
        first_update=fmt_duration(g.time_to_first_update),
        containment=fmt_duration(g.time_to_containment),
        decision=fmt_duration(g.time_to_decision),
        decisions=_decisions(g.decisions, g.open_decisions),
        schedule=schedule,
        satisfaction=satisfaction,
        reminders=g.reminders,
        escalations=g.escalations,
        **_all(g.slots, g.rating_sums),
    )


def severity_label(key: str) -> str:
    return f"SEV{key}"


def month_label(key: str) -> str:
    return datetime.strptime(key, "%Y-%m").replace(tzinfo=UTC).strftime("%B %Y")


@dataclass(frozen=True)
class SectionTables:
    overall: Row
    by_severity: list[Row]
    by_model: list[Row]
    by_month: list[Row]
    incidents: list[Row]


def section_tables(section: Section, model_names: dict[str, str]) -> SectionTables:
    agg = section.aggregates
    return SectionTables(
        overall=group_row(agg.overall, "All"),
        by_severity=[group_row(g, severity_label(g.key)) for g in agg.by_severity],
        by_model=[group_row(g, model_names.get(g.key, g.key)) for g in agg.by_model],
        by_month=[group_row(g, month_label(g.key)) for g in agg.by_month],
        # Newest first; the page shows at most TABLE_LIMIT of them (the CSV and the API have all).
        incidents=[incident_row(m) for m in reversed(section.incidents[-TABLE_LIMIT:])],
    )


# --- CSV ---------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "section",
    "level",
    "key",
    "reference",
    "title",
    "severity",
    "declared_at",
    "models",
    "clock_factor",
    "incidents",
    "time_to_first_update_min",
    "time_to_containment_min",
    "time_to_decision_min",
    "decisions_settled",
    "decisions_open",
    *(f"on_schedule_{a}_{part}" for a in AUDIENCES for part in ("met", "slots", "pct")),
    *(
        f"satisfaction_{a}_{part}"
        for a in AUDIENCES
        for part in ("clarity", "usefulness", "ratings")
    ),
    "reminders",
    "escalations",
]


def _safe(text: str) -> str:
    """Keep spreadsheets from reading a title as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _audience_cells(slots: dict, ratings: dict) -> list[str]:
    cells: list[str] = []
    for a in AUDIENCES:
        met, total = slots.get(a, (0, 0))
        cells += [str(met), str(total), _number(100 * met / total) if total else ""]
    for a in AUDIENCES:
        clarity, usefulness, n = ratings.get(a, (None, None, 0))
        cells += [_number(clarity), _number(usefulness), str(n)]
    return cells


def _incident_line(section: str, m: IncidentMetrics) -> list[str]:
    return [
        section,
        "incident",
        str(m.incident_id),
        m.reference,
        _safe(m.title),
        str(m.severity),
        m.declared_at.astimezone(UTC).isoformat().replace("+00:00", "Z") if m.declared_at else "",
        " ".join(m.model_slugs),
        str(m.clock_factor),
        "1",
        minutes(m.time_to_first_update),
        minutes(m.time_to_containment),
        minutes(m.time_to_decision),
        str(len(m.decision_times)),
        str(m.open_decisions),
        *_audience_cells(m.slots, m.satisfaction),
        str(m.reminders),
        str(m.escalations),
    ]


def _group_line(section: str, level: str, g: GroupMetrics) -> list[str]:
    return [
        section,
        level,
        g.key,
        "",
        "",
        g.key if level == "severity" else "",
        "",
        g.key if level == "model" else "",
        "",
        str(g.incidents),
        minutes(g.time_to_first_update),
        minutes(g.time_to_containment),
        minutes(g.time_to_decision),
        str(g.decisions),
        str(g.open_decisions),
        *_audience_cells(g.slots, g.satisfaction),
        str(g.reminders),
        str(g.escalations),
    ]


def csv_lines(rep: Report) -> Iterator[list[str]]:
    """Yield the header, then per section (real, drill): the groups, then each incident."""
    yield CSV_COLUMNS
    for name, section in (("real", rep.real), ("drill", rep.drills)):
        if section is None:
            continue
        agg = section.aggregates
        yield _group_line(name, "all", agg.overall)
        for level, groups in (
            ("severity", agg.by_severity),
            ("model", agg.by_model),
            ("month", agg.by_month),
        ):
            for g in groups:
                yield _group_line(name, level, g)
        for m in section.incidents:
            yield _incident_line(name, m)


def csv_text(rep: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(csv_lines(rep))
    return out.getvalue()
