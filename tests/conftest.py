"""Session-wide test set-up; the shared fixtures are plugins under tests/fixtures/.

Fixtures shared across apps live in `tests.fixtures.*` and are loaded here through
`pytest_plugins`, so every test sees them without importing them (an imported fixture
shadows, and is shadowed by, names in the importing module). Plain helpers that build data
are in `tests/builders.py`; other plain helpers in `tests/helpers.py`. See tests/README.md.
"""

from __future__ import annotations

import os
import tempfile

import pytest

from audit import dbtriggers as audit_triggers
from comms import dbtriggers
from incidents.decision_log import triggers as log_triggers
from learning import dbtriggers as learning_triggers
from regulatory import dbtriggers as regulatory_triggers

# Every module of append-only / immutable triggers; the flush lifts them all.
PROTECTED = (log_triggers, dbtriggers, learning_triggers, audit_triggers, regulatory_triggers)

pytest_plugins = [
    "tests.fixtures.personas",
    "tests.fixtures.clock",
    "tests.fixtures.cache",
    "tests.fixtures.api",
    "tests.fixtures.delivery",
    "tests.fixtures.oidc",
    "tests.fixtures.browser",
    "tests.fixtures.reviews",
    "tests.fixtures.smtp",  # a real SMTP server on loopback (aiosmtpd)
    "tests.fixtures.alertmanager",  # a real Alertmanager on loopback
    "tests.fixtures.prometheus",  # a real Prometheus on loopback
    "tests.fixtures.axe",  # axe-core over the browser tests' pages (tests marked browser only)
]

# Chromium and other tools write under $HOME: keep them out of the real one.
_home = tempfile.mkdtemp(prefix="icc-test-home-")
for _var in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
    os.environ[_var] = _home
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _flush_lifts_log_triggers(django_db_setup, django_db_blocker):
    """Let the test runner empty the log table between transactional tests.

    The append-only triggers (decision log, published updates and reviews) refuse DELETE
    (SQLite) and TRUNCATE (PostgreSQL), which is what Django's flush uses; lift
    them around the flush only.
    """
    from django.db import connection

    ops_class = type(connection.ops)
    original = ops_class.execute_sql_flush

    def execute_sql_flush(self, sql_list):  # type: ignore[no-untyped-def]
        for triggers in PROTECTED:
            triggers.drop_triggers(self.connection)
        try:
            original(self, sql_list)
        finally:
            for triggers in PROTECTED:
                triggers.install_triggers(self.connection)

    ops_class.execute_sql_flush = execute_sql_flush
    yield
    ops_class.execute_sql_flush = original


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI (FAIL_ON_SKIP=1) a skipped test fails the run: nothing may pass by skipping."""
    if os.environ.get("FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"FAIL_ON_SKIP=1: {skipped} test(s) were skipped; CI needs every test to run.", red=True
        )
        session.exitstatus = 1
