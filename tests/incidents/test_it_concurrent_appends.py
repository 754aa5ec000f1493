"""Concurrent appends to one incident queue on its row lock: one chain, no fork."""

import threading

import pytest
from django.db import connections

from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from incidents.decisions import add_note

THREADS = 8
NOTES_PER_THREAD = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_valid_chain_under_eight_writers(
    postgres_only, incident, commander, responder
):
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(NOTES_PER_THREAD):
                add_note(
                    incident=incident,
                    by=commander if n % 2 else responder,
                    text=f"writer {n} note {i}",
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors, errors
    before = 2  # declaration + commander assignment
    expected = before + THREADS * NOTES_PER_THREAD
    sequences = list(
        DecisionLogEntry.objects.filter(incident=incident)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, expected + 1))
    report = verify_chain(incident.pk)
    assert (report.valid, report.entries) == (True, expected)
    # Each writer's own notes stay in the order it wrote them.
    for n in range(THREADS):
        mine = list(
            DecisionLogEntry.objects.filter(incident=incident, summary__startswith=f"writer {n} ")
            .order_by("sequence")
            .values_list("summary", flat=True)
        )
        assert mine == [f"writer {n} note {i}" for i in range(NOTES_PER_THREAD)]
