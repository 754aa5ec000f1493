"""Database triggers that make the decision log append-only below the ORM.

Both engines reject UPDATE and DELETE on the log table, so even raw SQL
cannot rewrite history; PostgreSQL also rejects TRUNCATE. SQLite needs one
more: `INSERT OR REPLACE` (and `REPLACE INTO`) resolves a unique-key
conflict by deleting the old row *without* firing DELETE triggers, so a
BEFORE INSERT trigger refuses any insert that collides with an existing row
on one of the table's unique keys. PostgreSQL has no REPLACE, and its
`INSERT … ON CONFLICT DO UPDATE` fires the UPDATE trigger (as SQLite's
upsert does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "incidents_decisionlogentry"
MESSAGE = "decision log is append-only"
CHECKPOINT_TABLE = "incidents_logcheckpoint"
CHECKPOINT_MESSAGE = "log checkpoints are append-only"


@dataclass(frozen=True)
class UpsertGuard:
    """A SQLite BEFORE INSERT trigger that refuses to replace an existing row.

    `unique_keys` lists every unique key of the table (each a tuple of
    columns): REPLACE deletes the row that collides on *any* of them.
    `when` narrows the refusal to protected rows; it is an SQL condition on
    the existing row, aliased `old_row` (e.g. "old_row.status = 'published'").
    """

    table: str
    message: str
    unique_keys: tuple[tuple[str, ...], ...] = (("id",),)
    when: str = ""
    name: str = ""

    @property
    def trigger_name(self) -> str:
        return self.name or f"icc_{self.table}_no_replace"

    def create_sql(self) -> str:
        collides = " OR ".join(
            "(" + " AND ".join(f"old_row.{column} = NEW.{column}" for column in key) + ")"
            for key in self.unique_keys
        )
        condition = f"({collides})" + (f" AND ({self.when})" if self.when else "")
        return f"""CREATE TRIGGER IF NOT EXISTS {self.trigger_name} BEFORE INSERT ON {self.table}
            WHEN EXISTS (SELECT 1 FROM {self.table} AS old_row WHERE {condition})
            BEGIN SELECT RAISE(ABORT, '{self.message}: INSERT OR REPLACE over an existing row refused'); END"""  # noqa: S608  DDL from module constants; no request data

    def drop_sql(self) -> str:
        return f"DROP TRIGGER IF EXISTS {self.trigger_name}"


@dataclass(frozen=True)
class TriggerSet:
    """CREATE and DROP statements of some triggers, per database engine.

    `sqlite_guards` add the REPLACE guard on SQLite (see UpsertGuard); sets
    built with `TriggerSet.append_only()` get one by default.
    """

    postgres_create: list[str]
    postgres_drop: list[str]
    sqlite_create: list[str]
    sqlite_drop: list[str]
    sqlite_guards: tuple[UpsertGuard, ...] = field(default=())

    @classmethod
    def append_only(
        cls,
        *,
        table: str,
        message: str,
        unique_keys: tuple[tuple[str, ...], ...] = (("id",),),
        guard_upserts: bool = True,
    ) -> TriggerSet:
        """Build the triggers of a table whose rows are never changed or removed."""
        prefix = f"icc_{table}"
        function = f"{prefix}_reject"
        guards = (
            (UpsertGuard(table=table, message=message, unique_keys=unique_keys),)
            if guard_upserts
            else ()
        )
        return cls(
            postgres_create=[
                f"""
                CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '{message}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$ LANGUAGE plpgsql
                """,
                f"""CREATE TRIGGER {prefix}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {function}()""",
                f"""CREATE TRIGGER {prefix}_no_truncate BEFORE TRUNCATE ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
            ],
            postgres_drop=[
                f"DROP TRIGGER IF EXISTS {prefix}_no_update_delete ON {table}",
                f"DROP TRIGGER IF EXISTS {prefix}_no_truncate ON {table}",
            ],
            sqlite_create=[
                f"""CREATE TRIGGER IF NOT EXISTS {prefix}_no_{op.lower()} BEFORE {op} ON {table}
                    BEGIN SELECT RAISE(ABORT, '{message}: {op} refused'); END"""
                for op in ("UPDATE", "DELETE")
            ],
            sqlite_drop=[f"DROP TRIGGER IF EXISTS {prefix}_no_{op}" for op in ("update", "delete")],
            sqlite_guards=guards,
        )

    def _statements(self, vendor: str, create: bool) -> list[str]:
        if vendor == "postgresql":
            return self.postgres_create if create else self.postgres_drop
        if vendor == "sqlite":
            guards = [g.create_sql() if create else g.drop_sql() for g in self.sqlite_guards]
            return (self.sqlite_create if create else self.sqlite_drop) + guards
        raise NotImplementedError(
            f"No immutability triggers for {vendor}; use PostgreSQL or SQLite."
        )

    def install(self, connection: BaseDatabaseWrapper) -> None:
        """(Re)create the triggers: drop any old version first."""
        with connection.cursor() as cursor:
            for sql in self._statements(connection.vendor, False) + self._statements(
                connection.vendor, True
            ):
                cursor.execute(sql)

    def drop(self, connection: BaseDatabaseWrapper) -> None:
        """Remove the triggers. Only the test suite's database flush uses this."""
        with connection.cursor() as cursor:
            for sql in self._statements(connection.vendor, False):
                cursor.execute(sql)


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
# Every unique key of the log table: REPLACE colliding on any one deletes that entry.
_LOG_GUARD = UpsertGuard(
    table=TABLE,
    message=MESSAGE,
    unique_keys=(("id",), ("incident_id", "sequence"), ("hash",)),
    name="icc_log_no_replace",
)

LOG_TRIGGERS = TriggerSet(
    _POSTGRES_CREATE, _POSTGRES_DROP, _SQLITE_CREATE, _SQLITE_DROP, (_LOG_GUARD,)
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
