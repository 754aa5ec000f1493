"""`make bench`'s driver (bench/run.py): it checks every goal and fails the run when one is missed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from benchkit.report import Figure, meets  # noqa: E402

SCRIPT = """
from benchkit import Figure, report
report("Example", "Two figures.", [
    Figure("ratio", {ratio}, "×", goal=">= 0.5", detail="against a baseline"),
    Figure("context", 1234.0, "req/s"),
])
"""


@pytest.mark.parametrize(
    ("value", "goal", "met"),
    [
        (0.5, ">= 0.5", True),
        (0.49, ">= 0.5", False),
        (5.0, "<= 5", True),
        (5.01, "<= 5", False),
        (0.0, "== 0", True),
        (1.0, "== 0", False),
    ],
)
def test_goals_are_checked(value, goal, met):
    assert meets(value, goal) is met
    assert Figure("x", value, goal=goal).met is met


def test_a_figure_without_a_goal_is_never_a_miss():
    assert Figure("x", 0.0).met is None


def test_an_unknown_goal_is_refused():
    with pytest.raises(ValueError, match="unknown goal operator"):
        meets(1.0, "about 1")


def run_driver(tmp_path: Path, ratio: str) -> tuple[subprocess.CompletedProcess[str], str]:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "bench_example.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'bench')!r})\n" + SCRIPT.format(ratio=ratio)
    )
    output = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py")],
        env={
            "BENCH_SCRIPTS_DIR": str(scripts),
            "BENCH_OUTPUT": str(output),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, output.read_text() if output.exists() else ""


def test_the_driver_passes_when_every_goal_is_met_and_writes_the_figures(tmp_path):
    done, written = run_driver(tmp_path, "0.75")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| Example | ratio | 0.75× | >= 0.5 | yes |" in written
    assert "Produced by `make bench`" in written and "Machine:" in written
    assert "| context | 1,234 req/s |  |  |  |" in written


def test_the_driver_fails_when_a_goal_is_missed(tmp_path):
    done, written = run_driver(tmp_path, "0.25")
    assert done.returncode == 1
    assert "MISSED: Example: ratio = 0.25× (goal >= 0.5)" in done.stdout
    assert "| Example | ratio | 0.25× | >= 0.5 | **NO** |" in written


def test_the_driver_fails_when_a_script_fails(tmp_path):
    done, _ = run_driver(tmp_path, "undefined_name")
    assert done.returncode == 1
    assert "FAILED: bench_example.py exited with status 1" in done.stdout
