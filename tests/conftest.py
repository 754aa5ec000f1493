"""Fixtures shared by every test: personas, a watched model, an incident."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from audit import dbtriggers as audit_triggers
from comms import dbtriggers
from incidents.choices import (
    GROUP_ADMIN,
    GROUP_COMMANDER,
    GROUP_EXECUTIVE,
    GROUP_REGULATOR,
    GROUP_RESPONDER,
)
from incidents.decision_log import triggers as log_triggers
from learning import dbtriggers as learning_triggers

# axe-core over the browser tests' pages (active in tests marked browser only).
pytest_plugins = ["tests.browser.axe"]

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
        for triggers in (log_triggers, dbtriggers, learning_triggers, audit_triggers):
            triggers.drop_triggers(self.connection)
        try:
            original(self, sql_list)
        finally:
            for triggers in (log_triggers, dbtriggers, learning_triggers, audit_triggers):
                triggers.install_triggers(self.connection)

    ops_class.execute_sql_flush = execute_sql_flush
    yield
    ops_class.execute_sql_flush = original


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, *groups: str, **extra) -> User:
    user = User.objects.create_user(
        username=username, password="pw", email=f"{username}@example.test", **extra
    )
    # get_or_create: transactional tests flush the groups the migration made.
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    return user


@pytest.fixture
def postgres_only(db) -> None:
    """Skip on SQLite: for what needs PostgreSQL's row locks or TRUNCATE. CI runs on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture
def commander(db) -> User:
    return make_user(
        "cara", GROUP_COMMANDER, GROUP_RESPONDER, first_name="Cara", last_name="Commander"
    )


@pytest.fixture
def commander2(db) -> User:
    return make_user("conor", GROUP_COMMANDER, GROUP_RESPONDER)


@pytest.fixture
def responder(db) -> User:
    return make_user("remy", GROUP_RESPONDER)


@pytest.fixture
def executive(db) -> User:
    return make_user("eve", GROUP_EXECUTIVE)


@pytest.fixture
def regulator(db) -> User:
    return make_user("reggie", GROUP_REGULATOR)


@pytest.fixture
def admin_user(db) -> User:
    return make_user("ada", GROUP_ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db) -> User:
    return make_user("otto")


@pytest.fixture
def fraud_model(db):
    from incidents.models import ImpactRule, MonitoredModel

    model = MonitoredModel.objects.create(
        name="Fraud scoring",
        slug="fraud-scoring",
        team="Payments risk",
        business_function="Approve or decline card payments",
        risk_tier=1,
        current_version="v42",
    )
    ImpactRule.objects.create(
        model=model,
        metric="false_positive_rate",
        baseline=2.0,
        step=1.0,
        customers_per_step=120,
        revenue_per_step="8500.00",
        unit_label="customers wrongly declined per hour",
    )
    return model


@pytest.fixture
def incident(commander, fraud_model):
    from incidents.services import declare_incident

    return declare_incident(
        by=commander,
        title="Fraud model false-positive surge",
        severity=2,
        scope="Card payments in the EU",
        models=[(fraud_model, "v42")],
        customers_affected=1200,
        revenue_at_risk_per_hour="42000",
    )


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


def race(work: Callable[[], Any], *, threads: int = 2, timeout: float = 60) -> list[Any]:
    """Run `work` in `threads` threads released at once (each its own DB connection); return the results.

    For claims that must hold under concurrency (on PostgreSQL: row locks and
    conditional UPDATEs). Each thread closes its connection, so the test
    database can be dropped afterwards.
    """
    barrier, results, errors = threading.Barrier(threads), [], []

    def run() -> None:
        try:
            barrier.wait(timeout)
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 - raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join(timeout)
    if errors:
        raise errors[0]
    assert len(results) == threads, "a racing thread hung"
    return results
