"""Database triggers that make the decision log append-only below the ORM.

Both engines reject UPDATE and DELETE on the log and checkpoint tables, so
even raw SQL cannot rewrite history; PostgreSQL also rejects TRUNCATE, and
SQLite an `INSERT OR REPLACE` over an existing row (see kit.triggers). The
log's trigger names predate the shared builder and are kept as they are.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from kit.triggers import Protection, TriggerSet, UpsertGuard

TABLE = "incidents_decisionlogentry"
MESSAGE = "decision log is append-only"
CHECKPOINT_TABLE = "incidents_logcheckpoint"
CHECKPOINT_MESSAGE = "log checkpoints are append-only"

# Every unique key of the log table: REPLACE colliding on any one deletes that entry.
LOG_TRIGGERS = TriggerSet.protecting(
    Protection(
        table=TABLE,
        message=MESSAGE,
        function="icc_reject_log_change",
        trigger="icc_log_no_update_delete",
        truncate_trigger="icc_log_no_truncate",
        sqlite_prefix="icc_log",
        guard=UpsertGuard(
            table=TABLE,
            message=MESSAGE,
            unique_keys=(("id",), ("incident_id", "sequence"), ("hash",)),
            name="icc_log_no_replace",
        ),
    )
)
CHECKPOINT_TRIGGERS = TriggerSet.append_only(
    table=CHECKPOINT_TABLE,
    message=CHECKPOINT_MESSAGE,
    unique_keys=(("id",), ("incident_id", "sequence", "key_id")),
)


def install_triggers(connection: BaseDatabaseWrapper) -> None:
    """(Re)install the triggers of the log and of its signed checkpoints."""
    LOG_TRIGGERS.install(connection)
    CHECKPOINT_TRIGGERS.install(connection)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """Remove them. Only the test suite (its flush, its tamper helpers) uses this."""
    LOG_TRIGGERS.drop(connection)
    CHECKPOINT_TRIGGERS.drop(connection)
