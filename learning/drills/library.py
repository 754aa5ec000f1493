"""The drill scenario library: scenario files loaded, validated and kept until they change.

A scenario is a JSON file in learning/scenarios/ (format: docs/drills.md).
Loading checks every field and names the first bad one with its file, so a
broken scenario never reaches a running drill; a file's SHA-256 is kept so
the drill records exactly what it replayed. Running a drill is
learning.drills.runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from incidents.choices import DecisionType, ExposureLevel, Phase, Severity
from kit.errors import DomainError

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
EVENT_KINDS = ("decision_request", "question", "note")
MILESTONE_PHASES = (Phase.CONTAINED, Phase.ROOT_CAUSE_IDENTIFIED, Phase.RECOVERED)
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ScenarioError(ValueError):
    """A scenario file that does not follow the format; the message names the file and the field."""

    def __init__(self, filename: str, field: str, problem: str) -> None:
        super().__init__(f"{filename}: {field}: {problem}")
        self.filename, self.field, self.problem = filename, field, problem


@dataclass(frozen=True)
class Scenario:
    slug: str
    title: str
    version: str
    description: str
    digest: str  # SHA-256 of the file's bytes
    data: dict[str, Any]  # the validated file content

    @property
    def duration_minutes(self) -> float:
        return self.data["duration_minutes"]

    @property
    def targets(self) -> dict[str, float]:
        return self.data["targets"]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate(data: Any, filename: str) -> dict[str, Any]:
    """Check a scenario's content; raise ScenarioError naming the first bad field."""

    def fail(field: str, problem: str) -> None:
        raise ScenarioError(filename, field, problem)

    def text(obj: dict, key: str, where: str, *, required: bool = True) -> None:
        value = obj.get(key)
        if value is None and not required:
            return
        if not isinstance(value, str) or not value.strip():
            fail(f"{where}{key}", "a non-empty string is required")

    if not isinstance(data, dict):
        fail("(top level)", "a JSON object is required")
    for key in ("slug", "title", "version", "description"):
        text(data, key, "")
    if not SLUG_RE.match(data["slug"]) or len(data["slug"]) > 80:
        fail("slug", "lower-case letters, digits and hyphens, at most 80 characters")
    if Path(filename).stem != data["slug"]:
        fail("slug", f"must match the file name ({Path(filename).stem!r})")
    model = data.get("model")
    if not isinstance(model, dict):
        fail(
            "model", "an object with slug, name, team, business_function and risk_tier is required"
        )
    for key in ("slug", "name", "team", "business_function"):
        text(model, key, "model.")
    if model.get("risk_tier") not in (1, 2, 3) or isinstance(model.get("risk_tier"), bool):
        fail("model.risk_tier", "1, 2 or 3")
    if data.get("severity") not in Severity.values or isinstance(data.get("severity"), bool):
        fail("severity", "1, 2, 3 or 4")
    duration = data.get("duration_minutes")
    if not _number(duration) or not 0 < duration <= 24 * 60:
        fail("duration_minutes", "a number of drill minutes, more than 0 and at most 1440")
    incident = data.setdefault("incident", {})
    if not isinstance(incident, dict):
        fail("incident", "an object")
    for key in ("scope", "summary"):
        text(incident, key, "incident.", required=False)
    if "customers_affected" in incident and (
        not isinstance(incident["customers_affected"], int)
        or isinstance(incident["customers_affected"], bool)
        or incident["customers_affected"] < 0
    ):
        fail("incident.customers_affected", "a whole number ≥ 0")
    if "revenue_at_risk_per_hour" in incident:
        try:
            if Decimal(str(incident["revenue_at_risk_per_hour"])) < 0:
                raise InvalidOperation
        except InvalidOperation:
            fail("incident.revenue_at_risk_per_hour", "a decimal number ≥ 0")
    if incident.get("regulatory_exposure", ExposureLevel.NONE) not in ExposureLevel.values:
        fail("incident.regulatory_exposure", "none, low, medium or high")

    traces = data.get("traces")
    if not isinstance(traces, list) or not traces:
        fail("traces", "a non-empty list of metric traces")
    for i, trace in enumerate(traces):
        where = f"traces[{i}]"
        if not isinstance(trace, dict):
            fail(where, "an object with metric and points")
        text(trace, "metric", f"{where}.")
        points = trace.get("points")
        if not isinstance(points, list) or not points:
            fail(f"{where}.points", "a non-empty list of [minute, value] pairs")
        for j, point in enumerate(points):
            if not (isinstance(point, list) and len(point) == 2 and all(_number(x) for x in point)):
                fail(f"{where}.points[{j}]", "a [minute, value] pair of numbers")
            if not 0 <= point[0] <= duration:
                fail(f"{where}.points[{j}]", "the minute must lie within 0 and duration_minutes")

    events = data.get("events")
    if not isinstance(events, list):
        fail("events", "a list of stakeholder events")
    for i, event in enumerate(events):
        where = f"events[{i}]"
        if not isinstance(event, dict):
            fail(where, "an object")
        if not _number(event.get("at_minutes")) or not 0 <= event["at_minutes"] <= duration:
            fail(f"{where}.at_minutes", "a number of drill minutes within 0 and duration_minutes")
        if event.get("kind") not in EVENT_KINDS:
            fail(f"{where}.kind", f"one of {', '.join(EVENT_KINDS)}")
        text(event, "from", f"{where}.")
        text(event, "text", f"{where}.")
        if (
            event["kind"] == "decision_request"
            and event.get("decision_type") not in DecisionType.values
        ):
            fail(f"{where}.decision_type", f"one of {', '.join(DecisionType.values)}")

    milestones = data.get("milestones")
    if not isinstance(milestones, list):
        fail("milestones", "a list of expected milestones")
    for i, milestone in enumerate(milestones):
        where = f"milestones[{i}]"
        if not isinstance(milestone, dict) or milestone.get("phase") not in MILESTONE_PHASES:
            fail(f"{where}.phase", f"one of {', '.join(MILESTONE_PHASES)}")
        if not _number(milestone.get("target_minutes")) or milestone["target_minutes"] <= 0:
            fail(f"{where}.target_minutes", "a number of drill minutes > 0")

    targets = data.get("targets")
    if not isinstance(targets, dict):
        fail("targets", "an object")
    for key in ("time_to_containment_minutes", "time_to_decision_minutes"):
        if not _number(targets.get(key)) or targets[key] <= 0:
            fail(f"targets.{key}", "a number of drill minutes > 0")
    kept = targets.get("cadence_kept_percent")
    if not _number(kept) or not 0 <= kept <= 100:
        fail("targets.cadence_kept_percent", "a number from 0 to 100")
    return data


def load_file(path: Path) -> Scenario:
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(path.name, "(file)", f"not valid JSON: {exc}") from exc
    data = validate(data, path.name)
    return Scenario(
        slug=data["slug"],
        title=data["title"],
        version=str(data["version"]),
        description=data["description"],
        digest=hashlib.sha256(raw).hexdigest(),
        data=data,
    )


@lru_cache(maxsize=4)
def _library(directory: str, stamp: tuple[tuple[str, float], ...]) -> dict[str, Scenario]:
    return {s.slug: s for s in (load_file(Path(directory) / name) for name, _ in stamp)}


def scenarios(directory: Path | None = None) -> dict[str, Scenario]:
    """Return the library, slug -> Scenario, sorted by title; re-read when a file changes."""
    directory = directory or SCENARIO_DIR
    files = sorted(directory.glob("*.json"))
    library = _library(str(directory), tuple((p.name, p.stat().st_mtime) for p in files))
    return dict(sorted(library.items(), key=lambda item: item[1].title))


def get_scenario(slug: str) -> Scenario:
    found = scenarios().get(slug) if isinstance(slug, str) else None
    if found is None:
        raise DomainError(
            f"Unknown scenario {slug!r}; choose one of {', '.join(scenarios())}.", field="scenario"
        )
    return found
