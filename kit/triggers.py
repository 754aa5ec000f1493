"""One builder for the database triggers that keep rows append-only or immutable.

The decision log, its checkpoints, the audit trail, published status updates,
published reviews and addenda all refuse UPDATE and DELETE below the ORM, so
even raw SQL cannot rewrite them. Each table states its rule once as a
`Protection`; `TriggerSet.protecting()` turns rules into the CREATE and DROP
statements of PostgreSQL and SQLite.

SQLite needs one more trigger per table: `INSERT OR REPLACE` (and `REPLACE
INTO`) resolves a unique-key conflict by deleting the old row *without*
firing DELETE triggers, so a BEFORE INSERT trigger (`UpsertGuard`) refuses
any insert that collides with a protected row on one of the table's unique
keys. PostgreSQL has no REPLACE, and its `INSERT … ON CONFLICT DO UPDATE`
fires the UPDATE trigger (as SQLite's upsert does).

Migrations call these builders, so the SQL they produce must never change:
names and even whitespace are kept as first shipped (`indent`), because
SQLite stores a trigger's text as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.backends.base.base import BaseDatabaseWrapper


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
class Protection:
    """One table's rule: its rows refuse UPDATE and DELETE (when a condition holds).

    `pg_when` / `sqlite_when` name the protected rows (a PL/pgSQL condition
    and a SQLite WHEN clause on OLD); blank means every row. `what` finishes
    the refusal message ("published reviews are immutable: DELETE of an
    addendum refused"). `truncate_trigger` also refuses TRUNCATE on
    PostgreSQL. `guard` is the table's SQLite REPLACE guard, if any.
    """

    table: str
    message: str
    function: str
    trigger: str
    sqlite_prefix: str
    pg_when: str = ""
    sqlite_when: str = ""
    what: str = ""
    truncate_trigger: str = ""
    guard: UpsertGuard | None = None

    def pg_function(self, pad: str) -> str:
        """The PL/pgSQL function that raises (only for protected rows, if `pg_when`)."""
        raise_line = (
            f"RAISE EXCEPTION '{self.message}: %{self.what} refused', TG_OP"
            " USING ERRCODE = 'insufficient_privilege';"
        )
        if self.pg_when:
            body = [
                f"    IF {self.pg_when} THEN",
                f"        {raise_line}",
                "    END IF;",
                "    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;",
                "    RETURN NEW;",
            ]
        else:
            body = [f"    {raise_line}"]
        lines = [
            f"CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger AS $$",
            "BEGIN",
            *body,
            "END;",
            "$$ LANGUAGE plpgsql",
        ]
        return "\n" + "".join(f"{pad}{line}\n" for line in lines) + pad

    def pg_triggers(self, pad: str) -> list[str]:
        statements = [
            f"""CREATE TRIGGER {self.trigger} BEFORE UPDATE OR DELETE ON {self.table}
{pad}    FOR EACH ROW EXECUTE FUNCTION {self.function}()"""
        ]
        if self.truncate_trigger:
            statements.append(
                f"""CREATE TRIGGER {self.truncate_trigger} BEFORE TRUNCATE ON {self.table}
{pad}    FOR EACH STATEMENT EXECUTE FUNCTION {self.function}()"""
            )
        return statements

    def pg_drops(self) -> list[str]:
        names = [self.trigger] + ([self.truncate_trigger] if self.truncate_trigger else [])
        return [f"DROP TRIGGER IF EXISTS {name} ON {self.table}" for name in names]

    def sqlite_triggers(self, pad: str) -> list[str]:
        when = f"\n{pad}    WHEN {self.sqlite_when}" if self.sqlite_when else ""
        return [
            f"""CREATE TRIGGER IF NOT EXISTS {self.sqlite_prefix}_no_{op.lower()} BEFORE {op} ON {self.table}{when}
{pad}    BEGIN SELECT RAISE(ABORT, '{self.message}: {op}{self.what} refused'); END"""
            for op in ("UPDATE", "DELETE")
        ]

    def sqlite_drops(self) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {self.sqlite_prefix}_no_{op}" for op in ("update", "delete")
        ]


@dataclass(frozen=True)
class TriggerSet:
    """CREATE and DROP statements of some triggers, per database engine.

    Build one with `protecting()` or `append_only()`; the constructor takes
    hand-written statements for triggers that do something else (such as
    voiding a sign-off). `sqlite_guards` add the REPLACE guards on SQLite.
    """

    postgres_create: list[str]
    postgres_drop: list[str]
    sqlite_create: list[str]
    sqlite_drop: list[str]
    sqlite_guards: tuple[UpsertGuard, ...] = field(default=())

    @classmethod
    def protecting(cls, *rules: Protection, indent: int = 4) -> TriggerSet:
        """Build the triggers of one or more protected tables.

        `indent` is the whitespace of the generated SQL (see the module docstring).
        """
        pad = " " * indent
        return cls(
            postgres_create=[rule.pg_function(pad) for rule in rules]
            + [sql for rule in rules for sql in rule.pg_triggers(pad)],
            postgres_drop=[sql for rule in rules for sql in rule.pg_drops()],
            sqlite_create=[sql for rule in rules for sql in rule.sqlite_triggers(pad)],
            sqlite_drop=[sql for rule in rules for sql in rule.sqlite_drops()],
            sqlite_guards=tuple(rule.guard for rule in rules if rule.guard),
        )

    @classmethod
    def append_only(
        cls,
        *,
        table: str,
        message: str,
        unique_keys: tuple[tuple[str, ...], ...] = (("id",),),
        guard_upserts: bool = True,
    ) -> TriggerSet:
        """Build the triggers of a table whose rows are never changed or removed.

        UPDATE and DELETE refused on both engines, TRUNCATE on PostgreSQL, and
        (unless `guard_upserts` is off) SQLite's REPLACE over any unique key.
        """
        prefix = f"icc_{table}"
        guard = UpsertGuard(table=table, message=message, unique_keys=unique_keys)
        rule = Protection(
            table=table,
            message=message,
            function=f"{prefix}_reject",
            trigger=f"{prefix}_no_update_delete",
            truncate_trigger=f"{prefix}_no_truncate",
            sqlite_prefix=prefix,
            guard=guard if guard_upserts else None,
        )
        return cls.protecting(rule, indent=16)

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
