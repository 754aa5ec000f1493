"""A week of plausible health metrics per demo model: daily rhythm, noise, and each incident's excursion."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

METRIC_WEEK = timedelta(days=7)
METRIC_STEP = timedelta(minutes=10)


@dataclass(frozen=True)
class Trace:
    """A metric's shape: a daily rhythm around a base, noise, and an excursion."""

    metric: str
    base: float
    daily_swing: float
    noise: float
    # (start offset before now, duration, peak added at the excursion's height)
    excursion: tuple[timedelta, timedelta, float] | None = None
    floor: float = 0.0

    def value(self, at: datetime, now: datetime, rng: random.Random) -> float:
        hour = at.hour + at.minute / 60
        v = (
            self.base
            + self.daily_swing * math.sin((hour - 8) / 24 * 2 * math.pi)
            + rng.gauss(0, self.noise)
        )
        if self.excursion:
            ago, length, peak = self.excursion
            start = now - ago
            if start <= at <= start + length:
                # Rise fast, hold, decay: the shape of a real incident.
                x = (at - start) / length
                v += peak * min(1.0, x * 6) * (1.0 if x < 0.7 else max(0.0, (1 - x) / 0.3))
        return round(max(self.floor, v), 4)


TRACES: dict[str, list[Trace]] = {
    "fraud-scoring": [
        Trace(
            "false_positive_rate",
            1.6,
            0.2,
            0.08,
            (timedelta(hours=5), timedelta(hours=4, minutes=50), 4.4),
        ),
        Trace("p95_latency_ms", 120, 15, 6),
        Trace(
            "precision",
            0.82,
            0.01,
            0.005,
            (timedelta(hours=5), timedelta(hours=4, minutes=50), -0.2),
        ),
    ],
    "credit-risk": [
        Trace("psi_income", 0.04, 0.005, 0.004, (timedelta(hours=20), timedelta(hours=20), 0.34)),
        Trace("approval_rate", 61.0, 2.0, 0.6, (timedelta(hours=20), timedelta(hours=20), -9.0)),
        Trace("p95_latency_ms", 210, 20, 8),
    ],
    "recommendations": [
        Trace("p95_latency_ms", 190, 40, 12, (timedelta(days=2, hours=3), timedelta(hours=3), 620)),
        Trace(
            "click_through_rate",
            4.2,
            0.6,
            0.15,
            (timedelta(days=2, hours=3), timedelta(hours=3), -1.4),
        ),
        Trace("error_rate", 0.2, 0.05, 0.04, (timedelta(days=2, hours=3), timedelta(hours=3), 2.5)),
    ],
}


def instants(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start
    while at <= end:
        yield at
        at += METRIC_STEP
