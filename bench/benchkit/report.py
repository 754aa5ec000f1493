"""Figures, goals and results: what every bench/bench_*.py script hands to bench/run.py.

A script measures, builds `Figure`s (each a ratio against a baseline taken in
the same run where the goal is a ratio) and calls `report(...)` once per
section. Under `bench/run.py` (what `make bench` runs) the sections go to the
JSON file named by BENCH_RESULTS and the driver writes docs/benchmarks.md;
run alone, a script prints its tables.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


@dataclass
class Figure:
    """One measured figure and, when it has one, its goal.

    `goal` is a comparison written for people and checked here: ">= 0.5",
    "<= 5", "== 0". Figures without a goal (context: requests per second,
    sizes) have goal "" and are never failures.
    """

    name: str
    value: float
    unit: str = ""
    goal: str = ""
    detail: str = ""
    met: bool | None = field(default=None)

    def __post_init__(self) -> None:
        if self.goal and self.met is None:
            self.met = meets(self.value, self.goal)


def meets(value: float, goal: str) -> bool:
    """Check `value` against a goal such as ">= 0.5", "<= 5" or "== 0"."""
    op, _, threshold = goal.strip().partition(" ")
    limit = float(threshold)
    checks = {
        ">=": value >= limit,
        ">": value > limit,
        "<=": value <= limit,
        "<": value < limit,
        "==": value == limit,
    }
    if op not in checks:
        raise ValueError(f"unknown goal operator in {goal!r}")
    return checks[op]


def fmt(value: float, unit: str = "") -> str:
    if unit in ("×", "x"):
        text = f"{value:.2f}×"
    elif float(value).is_integer():
        text = f"{int(value):,}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return text if unit in ("", "×", "x") else f"{text} {unit}"


def table(figures: list[Figure]) -> list[str]:
    """Markdown rows for the figures: what, figure, goal, met, how."""
    lines = ["| what | figure | goal | met | detail |", "|---|---|---|---|---|"]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "**NO**")
        lines.append(f"| {f.name} | {fmt(f.value, f.unit)} | {f.goal} | {met} | {f.detail} |")
    return lines


def report(section: str, description: str, figures: list[Figure], *, order: int = 50) -> None:
    """Hand one section (a heading, what was measured and how, the figures) to the driver.

    `order` places the section in docs/benchmarks.md (lower first).
    """
    entry: dict[str, Any] = {
        "section": section,
        "description": description,
        "order": order,
        "figures": [asdict(f) for f in figures],
    }
    target = os.environ.get("BENCH_RESULTS")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
    print(f"\n## {section}\n\n{description}\n")
    print("\n".join(table(figures)))
