"""Health-metric series around an incident, bucketed and aggregated in the database.

The charts never read points one by one: `metric_buckets` aggregates every
series of an incident in one query, `histogram_counts` the latency bins in
one more, and everything else here is arithmetic on the buckets (impact per
hour, sampling interval, hourly rows for the tables). docs/dashboards.md
defines the windows and bucket sizes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    Value,
    When,
)
from django.db.models.functions import ExtractMinute, Floor, Trunc
from django.utils import timezone

from incidents.models import ImpactEstimate, ImpactRule, Incident, MetricPoint

# How far around the incident the charts look.
PAD_BEFORE = timedelta(hours=6)
PAD_AFTER = timedelta(hours=2)
MAX_WINDOW = timedelta(days=14)
HISTOGRAM_BINS = 20


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


class _SQLiteHour(Func):
    """The UTC hour of a datetime on SQLite, in SQL.

    Django's Trunc runs a Python function per row on SQLite, which made the
    executive page's trend (hourly buckets over the last day) most of its cold
    render there. SQLite stores datetimes as UTC text, so strftime is exact.
    """

    function = "strftime"
    output_field = CharField()

    def __init__(self, field: str) -> None:
        # The format is a parameter: a literal '%' in the SQL text trips Django's formatting.
        super().__init__(Value("%Y-%m-%d %H:00:00"), F(field))


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
    elif kind == "hour" and connection.vendor == "sqlite":
        points = points.annotate(bucket=_SQLiteHour("timestamp"))
        keys = ["model_id", "metric", "bucket"]
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
            bucket = row["bucket"]
            if isinstance(bucket, str):  # _SQLiteHour: the hour as UTC text
                bucket = datetime.fromisoformat(bucket).replace(tzinfo=UTC)
            at = bucket + timedelta(minutes=10 * int(row["tenth"])) if "tenth" in row else bucket
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
    out = []
    last: list[ImpactEstimate | None] = [None] * len(per_rule)
    for t in instants:
        customers, revenue = 0.0, Decimal("0")
        for i, by_time in enumerate(per_rule):
            current = last[i] = by_time.get(t, last[i])
            if current is not None:
                customers += current.customers_per_hour
                revenue += current.revenue_per_hour
        out.append((t, round(customers, 1), revenue))
    return out


def sampling_minutes(buckets: Sequence[Bucket]) -> float:
    """Return the series' average minutes between points (what one point stands for)."""
    n = sum(b.count for b in buckets)
    span = (buckets[-1].last - buckets[0].first).total_seconds() / 60
    return span / (n - 1) if n > 1 and span > 0 else 1.0


def utc_hour(at: datetime) -> datetime:
    """Return the UTC hour `at` falls in (the tables' rows are hours)."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hourly_rows(buckets: Sequence[Bucket]) -> list[tuple[datetime, float, float, float, int, int]]:
    """Merge buckets into hours for the table: (hour, mean, low, high, samples, bad samples)."""
    merged: dict[datetime, list[Bucket]] = defaultdict(list)
    for b in buckets:
        merged[utc_hour(b.at)].append(b)
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
