"""Health metrics: bulk ingestion of the metric points of monitored models.

Not the communication metrics (learning/communication_metrics/, how well the
team communicated): these are the numbers the models report about themselves,
which the console's charts draw and impact rules turn into customers affected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from incidents.models import MetricPoint, MonitoredModel
from kit.errors import DomainError

MAX_POINTS_PER_REQUEST = 10_000


@dataclass(frozen=True)
class PointIn:
    metric: str
    timestamp: datetime
    value: float


def ingest_metric_points(
    *, model: MonitoredModel, points: Iterable[PointIn], is_drill: bool = False
) -> int:
    """Store points idempotently on (model, metric, timestamp); return how many were given.

    Re-sending a point overwrites its value with the same value, so a
    monitoring job can retry a whole batch safely.
    """
    rows: dict[tuple[str, datetime], MetricPoint] = {}
    for i, p in enumerate(points):
        if i >= MAX_POINTS_PER_REQUEST:
            raise DomainError(
                f"At most {MAX_POINTS_PER_REQUEST} points per request.", field="points"
            )
        if not math.isfinite(p.value):
            raise DomainError(
                f"points[{i}].value must be a finite number.", field=f"points[{i}].value"
            )
        if p.timestamp.tzinfo is None:
            raise DomainError(
                f"points[{i}].timestamp needs a time zone.", field=f"points[{i}].timestamp"
            )
        rows[(p.metric, p.timestamp)] = MetricPoint(
            model=model, metric=p.metric, timestamp=p.timestamp, value=p.value, is_drill=is_drill
        )
    with transaction.atomic():
        MetricPoint.objects.bulk_create(
            rows.values(),
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["model", "metric", "timestamp", "is_drill"],
            update_fields=["value"],
        )
    return len(rows)
