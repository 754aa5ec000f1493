"""Rewrite a row the way SQLite's INSERT OR REPLACE lets an attacker do it.

REPLACE resolves a unique-key conflict by deleting the old row without
firing DELETE triggers, then inserts the new one: an UPDATE in disguise.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction


def replace_row(table: str, pk: int, changes: dict[str, Any], *, new_id: int | None = None) -> None:
    """INSERT OR REPLACE a copy of row `pk` of `table` with `changes` applied.

    With `new_id` the copy gets another id, so it collides on the table's
    other unique keys only (e.g. (incident, sequence)).
    """
    changes = {**changes, **({"id": new_id} if new_id is not None else {})}
    assignments = ", ".join(f"{column} = %s" for column in changes)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS temp.forged")
        cursor.execute(f"CREATE TEMP TABLE forged AS SELECT * FROM {table} WHERE id = %s", [pk])
        try:
            cursor.execute(f"UPDATE temp.forged SET {assignments}", list(changes.values()))
            cursor.execute(f"INSERT OR REPLACE INTO {table} SELECT * FROM temp.forged")
        finally:
            cursor.execute("DROP TABLE IF EXISTS temp.forged")
