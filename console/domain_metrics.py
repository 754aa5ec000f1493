"""The domain's figures for /metrics, read at scrape time (a constant number of queries).

Read from the database and the cache rather than counted in memory, so every web
process gives the same figures, whichever one Prometheus scrapes, and nothing is lost
when a process restarts. The counters (`*_total`) are counts of append-only rows:
they only go up, as Prometheus expects of a counter.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from comms import health
from comms.models import Channel
from console import heartbeats
from incidents.choices import OPEN_PHASES, Severity
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident
from integrations.models import AlertEvidence

log = logging.getLogger(__name__)

ALERT_SOURCES = ("alertmanager", "grafana", "pagerduty")


def _incidents() -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "icc_incidents_open",
        "Open incidents by severity (1 is the worst) and phase; drills apart.",
        labels=["severity", "phase", "drill"],
    )
    counts = {
        (row["severity"], row["phase"], row["is_drill"]): row["n"]
        for row in Incident.objects.open()
        .values("severity", "phase", "is_drill")
        .annotate(n=Count("id"))
        .order_by()
    }
    for severity in Severity.values:
        for phase in OPEN_PHASES:
            for drill in (False, True):
                family.add_metric(
                    [str(severity), str(phase), str(drill).lower()],
                    counts.get((severity, phase, drill), 0),
                )
    yield family


def _cadence(now: datetime) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "icc_deadlines_overdue_unescalated",
        "Open update deadlines whose next escalation step has been due for over a minute "
        "and has not gone out.",
        value=health.overdue_unescalated(now=now),
    )
    lag = health.reminder_lag(now=now)
    yield GaugeMetricFamily(
        "icc_deadlines_due_unreminded",
        "Open update deadlines past due whose reminder has not gone out.",
        value=lag.due,
    )
    yield GaugeMetricFamily(
        "icc_reminder_lag_seconds",
        "How long the oldest open deadline has been due without its reminder (0 when none).",
        value=lag.lag_seconds,
    )


def _deliveries(now: datetime) -> Iterator[Metric]:
    backlog = health.delivery_backlog(now=now)
    count = GaugeMetricFamily(
        "icc_deliveries",
        "Deliveries (the outbox) by channel and status: pending, or failed for good.",
        labels=["channel", "status"],
    )
    oldest = GaugeMetricFamily(
        "icc_deliveries_oldest_pending_age_seconds",
        "Age of the oldest pending delivery of each channel (0 when none).",
        labels=["channel"],
    )
    waiting = GaugeMetricFamily(
        "icc_deliveries_waiting_seconds",
        "How long the longest-waiting delivery whose attempt is due has waited for a worker "
        "(0 when none); deliveries backing off between attempts do not count.",
        labels=["channel"],
    )
    for channel in Channel.values:
        found = backlog.get(channel, health.ChannelBacklog())
        count.add_metric([channel, "pending"], found.pending)
        count.add_metric([channel, "failed"], found.failed)
        oldest.add_metric([channel], found.oldest_pending_seconds)
        waiting.add_metric([channel], found.waiting_seconds)
    yield from (count, oldest, waiting)


def _appends() -> Iterator[Metric]:
    yield CounterMetricFamily(
        "icc_decision_log_entries",
        "Entries appended to the decision logs (all incidents, drills included).",
        value=DecisionLogEntry.objects.count(),
    )
    alerts = CounterMetricFamily(
        "icc_alerts_received",
        "Alerts received from monitoring tools and kept as evidence, by source.",
        labels=["source"],
    )
    counts = dict(
        AlertEvidence.objects.values("source")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("source", "n")
    )
    for source in sorted({*ALERT_SOURCES, *counts}):
        alerts.add_metric([source], counts.get(source, 0))
    yield alerts


def _heartbeats() -> Iterator[Metric]:
    try:
        heard: dict[str, float | None] = heartbeats.ages()
        redis_up = 1
    except Exception:  # noqa: BLE001 - Redis down is a figure, not a failed scrape
        log.warning("/metrics could not read the heartbeats", exc_info=True)
        heard, redis_up = {}, 0
    yield GaugeMetricFamily("icc_redis_up", "1 if the cache (Redis) answered.", value=redis_up)
    for name, what in (
        ("worker", "a Celery worker's heartbeat"),
        ("beat", "Celery beat's last tick"),
    ):
        age = heard.get(name)
        yield GaugeMetricFamily(
            f"icc_{name}_heartbeat_age_seconds",
            f"Seconds since {what} (+Inf: none recorded, or Redis unreachable).",
            value=math.inf if age is None else age,
        )
    yield GaugeMetricFamily(
        "icc_beat_heartbeat_max_age_seconds",
        "The beat heartbeat age above which /readyz fails (two tick periods).",
        value=heartbeats.beat_max_age(),
    )


class DomainCollector:
    """A prometheus-client collector of the domain's figures; `icc_domain_up` says if they were read."""

    def collect(self) -> Iterator[Metric]:
        yield from _heartbeats()
        now = timezone.now()
        try:
            families = [
                *_incidents(),
                *_cadence(now),
                *_deliveries(now),
                *_appends(),
            ]
        except Exception:  # noqa: BLE001 - the database down is a figure, not a failed scrape
            log.exception("/metrics could not read the domain figures")
            families, up = [], 0
        else:
            up = 1
        yield GaugeMetricFamily(
            "icc_domain_up", "1 if the domain figures were read from the database.", value=up
        )
        yield from families
