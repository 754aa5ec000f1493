"""Database triggers that make the decision log append-only below the ORM.

Both engines reject UPDATE and DELETE on the log table, so even raw SQL
cannot rewrite history; PostgreSQL also rejects TRUNCATE.
"""

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "incidents_decisionlogentry"
MESSAGE = "decision log is append-only"

_POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION icc_reject_log_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""CREATE TRIGGER icc_log_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION icc_reject_log_change()""",
    f"""CREATE TRIGGER icc_log_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION icc_reject_log_change()""",
]
_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS icc_log_no_update_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS icc_log_no_truncate ON {TABLE}",
]
_SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS icc_log_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS icc_log_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END""",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS icc_log_no_update",
    "DROP TRIGGER IF EXISTS icc_log_no_delete",
]


@dataclass(frozen=True)
class TriggerSet:
    """CREATE and DROP statements of some triggers, per database engine."""

    postgres_create: list[str]
    postgres_drop: list[str]
    sqlite_create: list[str]
    sqlite_drop: list[str]

    def _statements(self, vendor: str, create: bool) -> list[str]:
        if vendor == "postgresql":
            return self.postgres_create if create else self.postgres_drop
        if vendor == "sqlite":
            return self.sqlite_create if create else self.sqlite_drop
        raise NotImplementedError(f"No immutability triggers for {vendor}; use PostgreSQL or SQLite.")

    def install(self, connection: BaseDatabaseWrapper) -> None:
        """(Re)create the triggers: drop any old version first."""
        with connection.cursor() as cursor:
            for sql in self._statements(connection.vendor, False) + self._statements(connection.vendor, True):
                cursor.execute(sql)

    def drop(self, connection: BaseDatabaseWrapper) -> None:
        """Remove the triggers. Only the test suite's database flush uses this."""
        with connection.cursor() as cursor:
            for sql in self._statements(connection.vendor, False):
                cursor.execute(sql)


LOG_TRIGGERS = TriggerSet(_POSTGRES_CREATE, _POSTGRES_DROP, _SQLITE_CREATE, _SQLITE_DROP)
install_triggers = LOG_TRIGGERS.install
drop_triggers = LOG_TRIGGERS.drop
