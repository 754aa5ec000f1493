"""kit.triggers: the one builder of append-only / immutable-after-publish triggers.

Migrations call the builders, so the SQL they produce must never change: the
fingerprints below are of the statements as first shipped (hand-written, per
module) before the builder replaced them.
"""

import hashlib
import json

import pytest

from audit import dbtriggers as audit_triggers
from comms import dbtriggers as comms_triggers
from comms import signoff_triggers
from incidents.decision_log import triggers as log_triggers
from kit.triggers import Protection, TriggerSet, UpsertGuard
from learning import dbtriggers as learning_triggers


def fingerprint(triggers: TriggerSet) -> str:
    statements = {
        vendor + ("c" if create else "d"): triggers._statements(vendor, create)
        for vendor in ("postgresql", "sqlite")
        for create in (True, False)
    }
    return hashlib.sha256(json.dumps(statements, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize(
    ("triggers", "expected"),
    [
        (
            log_triggers.LOG_TRIGGERS,
            "6cfe89b6f424d6250d5c70eb463c95e9cdb5f9ccd808c151913cea19b045f30c",
        ),
        (
            log_triggers.CHECKPOINT_TRIGGERS,
            "bb654510875f4c375ba2a03e8ad04a83c870f74fa158f125dc1e9bd8213f3c51",
        ),
        (
            comms_triggers.TRIGGERS,
            "6a9bcba784e5a0012a77d0758e67f5d81042203811aee5f7b1d80c14c871436e",
        ),
        (
            signoff_triggers.TRIGGERS,
            "c0a7fbb82f1f095307da552ab06f52e26264ca2538edfbcb32311d095e4bebca",
        ),
        (
            learning_triggers.TRIGGERS,
            "0f72e34511e903091b817a63785656472adff528aeabcd0e1d474cb901a04210",
        ),
        (
            audit_triggers.TRIGGERS,
            "11b14cdb6db386f64e5a3b8005104f20b506353aec54b9816710c207939c5d7c",
        ),
    ],
    ids=["log", "checkpoints", "comms", "signoff", "learning", "audit"],
)
def test_the_sql_migrations_run_never_changes(triggers, expected):
    assert fingerprint(triggers) == expected


def test_a_conditional_rule_refuses_only_protected_rows():
    rule = Protection(
        table="t",
        message="t is frozen",
        function="f",
        trigger="t_frozen",
        sqlite_prefix="icc_t",
        pg_when="OLD.done",
        sqlite_when="OLD.done = 1",
        what=" of a row",
        guard=UpsertGuard(table="t", message="t is frozen", when="old_row.done = 1"),
    )
    built = TriggerSet.protecting(rule)
    function, trigger = built.postgres_create
    assert "IF OLD.done THEN" in function and "'t is frozen: % of a row refused'" in function
    assert "RETURN NEW;" in function
    assert trigger.startswith("CREATE TRIGGER t_frozen BEFORE UPDATE OR DELETE ON t")
    assert built.postgres_drop == ["DROP TRIGGER IF EXISTS t_frozen ON t"]
    assert all("WHEN OLD.done = 1" in sql for sql in built.sqlite_create)
    assert [g.trigger_name for g in built.sqlite_guards] == ["icc_t_no_replace"]


def test_append_only_refuses_truncate_too():
    built = TriggerSet.append_only(table="x", message="x is append-only")
    assert any("BEFORE TRUNCATE ON x" in sql for sql in built.postgres_create)
    assert "DROP TRIGGER IF EXISTS icc_x_no_truncate ON x" in built.postgres_drop


def test_other_engines_are_refused():
    with pytest.raises(NotImplementedError, match="use PostgreSQL or SQLite"):
        audit_triggers.TRIGGERS._statements("mysql", True)
