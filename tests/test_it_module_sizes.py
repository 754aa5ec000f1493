"""No module grows into a grab-bag: non-test modules stay under 500 lines, the API's under 400.

docs/architecture.md ("Tools that keep the shape"); a module that outgrows its limit is split by
what it owns, not by line count.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIMITS = {"api/": 400}
DEFAULT_LIMIT = 500


def _modules() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [p for p in listed if not p.startswith("tests/") and "/migrations/" not in p]


def _limit(path: str) -> int:
    return next((n for prefix, n in LIMITS.items() if path.startswith(prefix)), DEFAULT_LIMIT)


def test_no_module_is_over_its_limit() -> None:
    modules = _modules()
    assert len(modules) > 100, "the module list came back short: is this a git checkout?"
    over = {
        p: n
        for p in modules
        if (n := len((ROOT / p).read_text(encoding="utf-8").splitlines())) > _limit(p)
    }
    assert over == {}


@pytest.mark.parametrize(("path", "limit"), [("api/x/views.py", 400), ("comms/models.py", 500)])
def test_the_limit_depends_on_the_layer(path: str, limit: int) -> None:
    assert _limit(path) == limit
