"""The SQLite REPLACE guards are proved in CI too, although CI runs PostgreSQL.

`INSERT OR REPLACE` exists only on SQLite (the demo's database), and CI runs
the suite on PostgreSQL, where the same tests try `ON CONFLICT DO UPDATE`
instead (tests/replace_attack.py). So this test runs the REPLACE tests once
more in a child pytest on SQLite, whatever the engine of this run: the
trigger SQL of both engines is exercised on every run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
REPLACE_TESTS = [
    "tests/incidents/test_it_log_replace.py",
    "tests/comms/test_it_publish.py::test_the_database_refuses_replace_over_published_updates",
    "tests/learning/test_it_review.py::test_the_database_refuses_replace_over_published_reviews_and_addenda",
    "tests/audit/test_it_audit_trail.py::test_the_database_refuses_an_upsert_over_an_existing_event",
]


def test_the_replace_attacks_fail_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env |= {"CONSOLE_VAR_DIR": str(tmp_path), "SECRET_KEY": env.get("SECRET_KEY") or "test-only"}
    result = subprocess.run(  # noqa: S603  our own interpreter and test ids
        # TRUNCATE is PostgreSQL's; its test is the one this run deselects.
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:xdist",
            "-k",
            "not truncate",
            *REPLACE_TESTS,
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary = (
        result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # Every REPLACE test ran (none skipped): the REPLACE forms really were tried on SQLite.
    assert "passed" in summary and "skipped" not in summary and "1 deselected" in summary, summary
