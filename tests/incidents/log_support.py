"""Tamper with the decision log the way someone with database write access could."""

from __future__ import annotations

from django.db import connection

from incidents.decision_log import triggers as log_triggers
from incidents.decision_log.models import DecisionLogEntry


def tamper(statements: list[tuple[str, list]]) -> None:
    """Lift the triggers, run raw SQL, put the triggers back."""
    log_triggers.drop_triggers(connection)
    try:
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
    finally:
        log_triggers.install_triggers(connection)


def recompute_chain_from(incident_id: int, sequence: int, summary: str) -> None:
    """Rewrite entry #sequence and every hash after it so the chain is consistent again."""
    entries = list(DecisionLogEntry.objects.filter(incident_id=incident_id).order_by("sequence"))
    statements = []
    prev_hash = entries[sequence - 2].hash if sequence > 1 else entries[0].prev_hash
    for entry in entries[sequence - 1 :]:
        if entry.sequence == sequence:
            entry.summary = summary
        entry.prev_hash = prev_hash
        entry.hash = entry.compute_hash()
        prev_hash = entry.hash
        statements.append(
            (
                f"UPDATE {log_triggers.TABLE} SET summary = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [entry.summary, entry.prev_hash, entry.hash, entry.pk],
            )
        )
    tamper(statements)
