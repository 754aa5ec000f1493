"""INSERT OR REPLACE and upserts cannot rewrite the decision log or its checkpoints (#10).

Before the BEFORE INSERT guard, SQLite let `INSERT OR REPLACE` rewrite the
last entry (its hash recomputed), and verification still said "intact".
On PostgreSQL the same attempt is an `INSERT … ON CONFLICT DO UPDATE`,
which the UPDATE trigger refuses (tests/replace_attack.py picks the form).
"""

import pytest
from django.db import DatabaseError, connection, transaction

from incidents.decision_log import triggers as log_triggers
from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint
from incidents.decision_log.verify import verify_chain
from incidents.decisions import add_note
from tests.replace_attack import replace_row

TABLE = log_triggers.TABLE


@pytest.fixture
def last(incident, commander):
    add_note(incident=incident, by=commander, text="Rolled back to v41")
    return DecisionLogEntry.objects.filter(incident=incident).order_by("-sequence").first()


def _rehashed(entry: DecisionLogEntry, summary: str) -> str:
    """The hash a careful attacker would store: the rewrite stays internally consistent."""
    forged = DecisionLogEntry.objects.get(pk=entry.pk)
    forged.summary = summary
    return forged.compute_hash()


def _row(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT summary, hash FROM {TABLE} WHERE id = %s", [pk])
        return cursor.fetchone()


def test_replace_over_the_last_entry_is_refused(last):
    summary = "Nothing was rolled back"
    with pytest.raises(DatabaseError, match="append-only"):
        replace_row(TABLE, last.pk, {"summary": summary, "hash": _rehashed(last, summary)})
    assert _row(last.pk) == ("Rolled back to v41", last.hash)
    assert verify_chain(last.incident_id).valid


@pytest.mark.parametrize(
    "collides_on", [("incident_id", "sequence"), ("hash",)], ids=["incident-sequence", "hash"]
)
def test_replace_colliding_on_another_unique_key_is_refused(last, collides_on):
    """A new id still deletes the entry it collides with on (incident, sequence) or hash."""
    summary = "Nothing was rolled back"
    changes = {"summary": summary} | (
        {"hash": _rehashed(last, summary)} if collides_on != ("hash",) else {}
    )
    with pytest.raises(DatabaseError, match="append-only"):
        replace_row(TABLE, last.pk, changes, new_id=last.pk + 1000, conflict=collides_on)
    assert _row(last.pk) == ("Rolled back to v41", last.hash)
    assert DecisionLogEntry.objects.filter(incident_id=last.incident_id).count() == last.sequence


def test_an_upsert_over_an_entry_is_refused(last):
    """ON CONFLICT DO UPDATE: the UPDATE trigger fires on both engines."""
    columns = "id, incident_id, sequence, kind, recorded_at, actor_label, actor_role, summary, data, prev_hash, hash"
    sql = (
        f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {TABLE} WHERE id = %s "
        "ON CONFLICT (id) DO UPDATE SET summary = 'Nothing was rolled back'"
    )
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [last.pk])
    assert _row(last.pk) == ("Rolled back to v41", last.hash)


def test_plain_appends_still_work(last, commander):
    entry = add_note(incident=last.incident, by=commander, text="Monitoring")
    assert entry.sequence == last.sequence + 1
    assert verify_chain(last.incident_id).valid


def _checkpoint(last: DecisionLogEntry) -> LogCheckpoint:
    checkpoint = LogCheckpoint(
        incident_id=last.incident_id,
        sequence=last.sequence,
        head_hash=last.hash,
        signed_at=last.recorded_at,
        key_id="0" * 16,
        signature="sig",
    )
    checkpoint.save(force_insert=True)
    return checkpoint


@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {log_triggers.CHECKPOINT_TABLE} SET head_hash = 'x' WHERE id = %s",
        f"DELETE FROM {log_triggers.CHECKPOINT_TABLE} WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_checkpoints_refuse_raw_changes(last, sql):
    checkpoint = _checkpoint(last)
    with pytest.raises(DatabaseError, match="checkpoints are append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [checkpoint.pk])
    assert LogCheckpoint.objects.get(pk=checkpoint.pk).head_hash == last.hash


def test_checkpoints_refuse_replace(last):
    checkpoint = _checkpoint(last)
    with pytest.raises(DatabaseError, match="checkpoints are append-only"):
        replace_row(log_triggers.CHECKPOINT_TABLE, checkpoint.pk, {"head_hash": "f" * 64})
    with pytest.raises(DatabaseError, match="checkpoints are append-only"):
        replace_row(
            log_triggers.CHECKPOINT_TABLE,
            checkpoint.pk,
            {"head_hash": "f" * 64},
            new_id=checkpoint.pk + 1000,
            conflict=("incident_id", "sequence", "key_id"),
        )
    assert list(LogCheckpoint.objects.values_list("head_hash", flat=True)) == [last.hash]


@pytest.mark.django_db(transaction=True)
def test_checkpoints_refuse_truncate_on_postgresql(postgres_only, last):
    _checkpoint(last)
    with pytest.raises(DatabaseError, match="checkpoints are append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {log_triggers.CHECKPOINT_TABLE}")
    assert LogCheckpoint.objects.count() == 1
