"""The scenario library: every file loads and validates; a bad file is named with its field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from learning.drills import library

REQUIRED = {
    "fraud-fp-surge": ("fraud-scoring", "false_positive_rate"),
    "recommender-latency-peak": ("recommendations", "p95_latency_ms"),
    "credit-drift-schema-change": ("credit-risk", "psi_income"),
}


def test_every_scenario_file_loads_and_the_three_required_ones_are_there():
    files = sorted(p.stem for p in library.SCENARIO_DIR.glob("*.json"))
    loaded = library.scenarios()
    assert sorted(loaded) == files
    assert set(REQUIRED) <= set(loaded)
    for slug, (model, metric) in REQUIRED.items():
        scenario = loaded[slug]
        assert scenario.data["model"]["slug"] == model
        assert [t["metric"] for t in scenario.data["traces"]] == [metric]
        kinds = {e["kind"] for e in scenario.data["events"]}
        assert "decision_request" in kinds and kinds & {"question", "note"}
        assert any(e["from"] == "executive" for e in scenario.data["events"])
        assert set(scenario.targets) == {
            "time_to_containment_minutes",
            "time_to_decision_minutes",
            "cadence_kept_percent",
        }
        assert len(scenario.digest) == 64


def test_the_issue_s_stakeholder_events_are_injected():
    fraud = library.scenarios()["fraud-fp-surge"].data["events"]
    assert (fraud[0]["at_minutes"], fraud[0]["from"]) == (10, "executive")
    assert "ETA" in fraud[0]["text"]
    assert any(e["from"] == "regulator liaison" and "disclosure draft" in e["text"] for e in fraud)


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    shutil.copy(library.SCENARIO_DIR / "fraud-fp-surge.json", tmp_path / "fraud-fp-surge.json")
    return tmp_path


def rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("title"), "title"),
        (lambda d: d.update(slug="other"), "slug"),
        (lambda d: d.update(severity=5), "severity"),
        (lambda d: d["model"].update(risk_tier=4), "model.risk_tier"),
        (lambda d: d.update(duration_minutes=0), "duration_minutes"),
        (lambda d: d["traces"][0]["points"].append([61, 2.0]), "traces[0].points[9]"),
        (lambda d: d["traces"][0]["points"].append(["x", 2.0]), "traces[0].points[9]"),
        (lambda d: d["events"][1].update(decision_type="guess"), "events[1].decision_type"),
        (lambda d: d["events"][0].update(kind="email"), "events[0].kind"),
        (lambda d: d["events"][2].update(at_minutes=-1), "events[2].at_minutes"),
        (lambda d: d["milestones"][0].update(phase="resolved"), "milestones[0].phase"),
        (lambda d: d["targets"].update(cadence_kept_percent=120), "targets.cadence_kept_percent"),
        (
            lambda d: d["targets"].pop("time_to_decision_minutes"),
            "targets.time_to_decision_minutes",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_field(scenario_dir, change, field):
    path = scenario_dir / "fraud-fp-surge.json"
    rewrite(path, change)
    with pytest.raises(library.ScenarioError) as caught:
        library.scenarios(scenario_dir)
    assert (caught.value.filename, caught.value.field) == ("fraud-fp-surge.json", field)
    assert str(caught.value).startswith(f"fraud-fp-surge.json: {field}: ")


def test_a_file_that_is_not_json_is_named(scenario_dir):
    (scenario_dir / "broken.json").write_text("{not json")
    with pytest.raises(library.ScenarioError, match=r"^broken\.json: \(file\): not valid JSON"):
        library.scenarios(scenario_dir)
