"""Version counters the database bumps when a watched table changes (#12).

The status pages and the Statuspage API are served from a cache keyed by a
*data version*. Computing that version on every read (MAX, COUNT over whole
tables) cost more than serving the page. Instead, triggers count changes at
write time and a read is one tiny query: `read_counters`.

- PostgreSQL: one sequence per counter, bumped twice: by a statement trigger
  as the write happens (so the writing transaction itself, and a test that
  never commits, sees the new number) and once more at commit by a deferred
  constraint trigger (so a reader that built the page between the write and
  the commit, from the old rows, is superseded as soon as the rows are
  visible). `nextval` takes no row lock, so writers never wait on each other
  for the counter: no new lock, no new deadlock. Only the microseconds between
  the commit-time `nextval` and the commit becoming visible remain; kit.cache
  bounds their effect by the short life of cached content (MAX_AGE_SECONDS).
- SQLite: one row per counter in `icc_data_version`, updated by row triggers
  in the writing transaction (SQLite has one writer at a time, so it cannot
  deadlock, and the new number becomes visible together with the rows).

Migrations call `VersionCounter.create_sql` (console/migrations): the SQL
must not change once shipped. A test writes to every watched table and sees
its counters move, so a later migration that rebuilds a table on SQLite (and
so drops its triggers) fails that test instead of leaving pages stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection

SQLITE_TABLE = "icc_data_version"


@dataclass(frozen=True)
class VersionCounter:
    """A counter bumped by any INSERT, UPDATE or DELETE on `tables`."""

    name: str
    tables: tuple[str, ...]

    @property
    def sequence(self) -> str:
        return f"icc_version_{self.name}"

    def _trigger(self, table: str, event: str = "") -> str:
        return f"icc_version_{self.name}_{table}{event}"

    def create_sql(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            now, at_commit = f"icc_bump_{self.name}", f"icc_bump_{self.name}_at_commit"
            flag = f"icc.bumped_{self.name}"
            statements = [
                f"CREATE SEQUENCE IF NOT EXISTS {self.sequence}",
                f"""CREATE OR REPLACE FUNCTION {now}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('{self.sequence}');
    RETURN NULL;
END $$""",
                f"""CREATE OR REPLACE FUNCTION {at_commit}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('{flag}', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM set_config('{flag}', txid_current()::text, true);
        PERFORM nextval('{self.sequence}');
    END IF;
    RETURN NULL;
END $$""",
            ]
            for table in self.tables:
                statements += [
                    f"CREATE TRIGGER {self._trigger(table)} "
                    f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {now}()",
                    f"CREATE CONSTRAINT TRIGGER {self._trigger(table, '_commit')} "
                    f"AFTER INSERT OR UPDATE OR DELETE ON {table} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {at_commit}()",
                ]
            return statements
        statements = [
            f"CREATE TABLE IF NOT EXISTS {SQLITE_TABLE} (name TEXT PRIMARY KEY, n INTEGER NOT NULL)",
            f"INSERT OR IGNORE INTO {SQLITE_TABLE} (name, n) VALUES ('{self.name}', 0)",  # noqa: S608  DDL from module constants
        ]
        for table in self.tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                trigger = self._trigger(table, "_" + event.lower())
                bump = f"UPDATE {SQLITE_TABLE} SET n = n + 1 WHERE name = '{self.name}'"  # noqa: S608  DDL from module constants
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {trigger} AFTER {event} ON {table} BEGIN {bump}; END"
                )
        return statements

    def drop_sql(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            return [
                *(f"DROP TRIGGER IF EXISTS {self._trigger(t)} ON {t}" for t in self.tables),
                *(
                    f"DROP TRIGGER IF EXISTS {self._trigger(t, '_commit')} ON {t}"
                    for t in self.tables
                ),
                f"DROP FUNCTION IF EXISTS icc_bump_{self.name}()",
                f"DROP FUNCTION IF EXISTS icc_bump_{self.name}_at_commit()",
                f"DROP SEQUENCE IF EXISTS {self.sequence}",
            ]
        return [
            *(
                f"DROP TRIGGER IF EXISTS {self._trigger(t, '_' + e)}"
                for t in self.tables
                for e in ("insert", "update", "delete")
            ),
            f"DELETE FROM {SQLITE_TABLE} WHERE name = '{self.name}'",  # noqa: S608  DDL from module constants
        ]


def read_counters(counters: Sequence[VersionCounter]) -> tuple[int, ...]:
    """Return the counters' current values in one query."""
    if connection.vendor == "postgresql":
        parts = [f"(SELECT last_value FROM {c.sequence})" for c in counters]  # noqa: S608  names from module constants
        params: list[str] = []
    else:
        parts = [f"(SELECT n FROM {SQLITE_TABLE} WHERE name = %s)" for _ in counters]  # noqa: S608  names from module constants
        params = [c.name for c in counters]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone() or ()
    return tuple(int(value or 0) for value in row)
