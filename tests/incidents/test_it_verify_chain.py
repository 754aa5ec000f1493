"""verify_chain and `manage.py verify_decision_log` find tampering below the ORM."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from incidents.decision_log import triggers as log_triggers
from incidents.decision_log.models import GENESIS_HASH, DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from incidents.decisions import add_note, correct_entry


@pytest.fixture
def logged(incident, commander):
    for i in range(3):
        add_note(incident=incident, by=commander, text=f"Note {i}")
    return incident


def _tamper(sql: str, params: list) -> None:
    """Do what an attacker with database access would: lift the triggers, write, restore."""
    log_triggers.drop_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        log_triggers.install_triggers(connection)


def test_it_links_each_entry_to_the_one_before(logged):
    entries = list(DecisionLogEntry.objects.filter(incident=logged).order_by("sequence"))
    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in zip(entries, entries[1:]):
        assert after.prev_hash == before.hash
    report = verify_chain(logged.pk)
    assert (report.valid, report.entries, report.first_broken, report.head) == (
        True,
        5,
        None,
        entries[-1].hash,
    )


def test_it_reports_an_altered_entry(logged):
    target = DecisionLogEntry.objects.get(incident=logged, sequence=4)
    _tamper(
        f"UPDATE {log_triggers.TABLE} SET summary = %s WHERE id = %s",
        ["Nothing happened", target.pk],
    )

    report = verify_chain(logged.pk)

    assert report.valid is False
    assert report.first_broken["sequence"] == 4
    assert "altered" in report.first_broken["reason"]


def test_it_reports_a_rehashed_entry_by_its_successor(logged):
    """Rewriting an entry and its own hash still breaks the next link."""
    target = DecisionLogEntry.objects.get(incident=logged, sequence=3)
    target.summary = "Rewritten"
    new_hash = target.compute_hash()
    _tamper(
        f"UPDATE {log_triggers.TABLE} SET summary = %s, hash = %s WHERE id = %s",
        ["Rewritten", new_hash, target.pk],
    )

    report = verify_chain(logged.pk)

    assert report.first_broken["sequence"] == 4
    assert "prev_hash" in report.first_broken["reason"]


def test_it_reports_a_removed_entry(logged):
    target = DecisionLogEntry.objects.get(incident=logged, sequence=2)
    _tamper(f"DELETE FROM {log_triggers.TABLE} WHERE id = %s", [target.pk])

    report = verify_chain(logged.pk)

    assert report.valid is False
    assert report.first_broken["sequence"] == 3
    assert "missing" in report.first_broken["reason"]


def test_command_passes_on_intact_logs(logged):
    out = StringIO()
    call_command("verify_decision_log", stdout=out)
    assert "all chains intact" in out.getvalue()
    assert "5 entries" in out.getvalue()


def test_command_fails_and_names_the_first_broken_link(logged, incident, commander):
    target = DecisionLogEntry.objects.get(incident=logged, sequence=5)
    _tamper(
        f"UPDATE {log_triggers.TABLE} SET actor_label = %s WHERE id = %s",
        ["someone else", target.pk],
    )
    out = StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("verify_decision_log", "--incident", str(logged.pk), stdout=out)

    assert excinfo.value.returncode == 1
    assert f"INC-{logged.pk}: chain broken at entry #5" in out.getvalue()


def test_command_rejects_an_unknown_incident(db):
    with pytest.raises(CommandError, match="No incident with id 999"):
        call_command("verify_decision_log", "--incident", "999")


def test_a_correction_is_a_new_entry_naming_the_corrected_one(logged, commander):
    original = DecisionLogEntry.objects.get(incident=logged, sequence=3)

    correction = correct_entry(
        incident=logged, entry=original, by=commander, text="Note 0 meant EU only"
    )

    original.refresh_from_db()
    assert original.summary == "Note 0"
    assert (correction.kind, correction.corrects_id, correction.sequence) == (
        "correction",
        original.pk,
        6,
    )
    assert verify_chain(logged.pk).valid
