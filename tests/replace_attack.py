"""Rewrite a row through an INSERT, the way each engine lets an attacker try.

SQLite's INSERT OR REPLACE resolves a unique-key conflict by deleting the
old row without firing DELETE triggers, then inserts the new one: an UPDATE
in disguise. PostgreSQL has no REPLACE; its equivalent is
`INSERT … ON CONFLICT DO UPDATE`. The same test runs on both engines (CI
runs PostgreSQL and fails on skips; `make test` runs SQLite).
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction


def replace_row(
    table: str,
    pk: int,
    changes: dict[str, Any],
    *,
    new_id: int | None = None,
    conflict: tuple[str, ...] = ("id",),
) -> None:
    """Insert a copy of row `pk` of `table` with `changes`, over the row it collides with.

    With `new_id` the copy gets another id, so it collides on the unique key
    `conflict` only (e.g. ("incident_id", "sequence")).
    """
    changes = {**changes, **({"id": new_id} if new_id is not None else {})}
    assignments = ", ".join(f"{column} = %s" for column in changes)
    if connection.vendor == "sqlite":
        insert = f"INSERT OR REPLACE INTO {table} SELECT * FROM forged"
    else:
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in changes if column != "id")
        insert = f"INSERT INTO {table} SELECT * FROM forged ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    # One savepoint: when the insert is refused, the rollback drops the temporary table too.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE forged AS SELECT * FROM {table} WHERE id = %s", [pk])
        cursor.execute(f"UPDATE forged SET {assignments}", list(changes.values()))
        cursor.execute(insert)
        cursor.execute("DROP TABLE forged")
