"""The decision log refuses every UPDATE and DELETE, at every layer."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from incidents.decision_log import triggers as log_triggers
from incidents.decision_log.models import DecisionLogEntry, LogImmutable
from incidents.decisions import add_note
from incidents.models import Incident

TABLE = log_triggers.TABLE


@pytest.fixture
def entry(incident, commander):
    return add_note(incident=incident, by=commander, text="Original wording")


def _summary(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT summary FROM {TABLE} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_it_refuses_save_of_a_changed_entry(entry):
    entry.summary = "Rewritten"
    with pytest.raises(LogImmutable):
        entry.save()
    assert _summary(entry.pk) == "Original wording"


def test_it_refuses_delete_of_an_entry(entry):
    with pytest.raises(LogImmutable):
        entry.delete()
    assert DecisionLogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_it_refuses_queryset_writes(entry, operation):
    qs = DecisionLogEntry.objects.filter(pk=entry.pk)
    with pytest.raises(LogImmutable):
        qs.update(summary="Rewritten") if operation == "update" else qs.delete()
    assert _summary(entry.pk) == "Original wording"


def test_it_refuses_bulk_writes(entry):
    with pytest.raises(LogImmutable):
        DecisionLogEntry.objects.bulk_update([entry], ["summary"])
    with pytest.raises(LogImmutable):
        DecisionLogEntry.objects.bulk_create([entry])


def test_it_refuses_an_entry_whose_hash_does_not_match(entry):
    forged = DecisionLogEntry(
        incident_id=entry.incident_id,
        sequence=entry.sequence + 1,
        kind="note",
        recorded_at=entry.recorded_at,
        actor_label="mallory",
        summary="Forged",
        prev_hash=entry.hash,
        hash="f" * 64,
    )
    with pytest.raises(LogImmutable):
        forged.save()
    assert not DecisionLogEntry.objects.filter(summary="Forged").exists()


@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET summary = 'Rewritten' WHERE id = %s",
        f"DELETE FROM {TABLE} WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_it_refuses_raw_sql(entry, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert _summary(entry.pk) == "Original wording"


@pytest.mark.django_db(transaction=True)
def test_it_refuses_truncate_on_postgresql(postgres_only, entry):
    """Committed rows, so the refusal comes from our trigger and nothing else."""
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {TABLE} CASCADE")
    assert DecisionLogEntry.objects.filter(pk=entry.pk).exists()


def test_it_refuses_deleting_an_incident_with_a_log(incident):
    with pytest.raises(ProtectedError):
        with transaction.atomic():
            Incident.objects.filter(pk=incident.pk).delete()
    assert Incident.objects.filter(pk=incident.pk).exists()


def test_it_offers_no_change_or_delete_in_the_admin(client, admin_user, entry):
    client.force_login(admin_user)
    change_url = reverse("admin:incidents_decisionlogentry_change", args=[entry.pk])
    delete_url = reverse("admin:incidents_decisionlogentry_delete", args=[entry.pk])

    page = client.get(change_url)
    assert page.status_code == 200  # viewable, read-only
    assert b'name="summary"' not in page.content
    assert client.post(change_url, {"summary": "Rewritten"}).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:incidents_decisionlogentry_add")).status_code == 403
    assert _summary(entry.pk) == "Original wording"
