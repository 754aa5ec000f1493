"""The demo's incident scenarios, in the order seed_demo creates them (title -> builder)."""

from __future__ import annotations

from collections.abc import Callable

from console.demo import credit_drift, fraud_drill, fraud_surge, recommender_latency
from console.demo.base import Demo

Builder = Callable[[Demo, str], None]

SCENARIOS: list[tuple[str, Builder]] = [
    (module.TITLE, module.build)
    for module in (fraud_surge, credit_drift, recommender_latency, fraud_drill)
]
