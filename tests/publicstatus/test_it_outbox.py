"""The customer mail outbox: claims, leases left by a crashed worker, constant-query feeds."""

from __future__ import annotations

import pytest
from django.utils import timezone

from publicstatus import feeds, outbox
from publicstatus.links import keyed_hash
from publicstatus.models import Notice, Subscriber
from tests.builders import announced_maintenance, declare, publish_renditions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]


@pytest.fixture
def notice(smtp_server) -> Notice:
    subscriber = Subscriber.objects.create(
        address="ann@example.test",
        address_hash=keyed_hash("ann@example.test"),
        nonce="n1",
        confirmed_at=timezone.now(),
    )
    [row] = outbox.write(
        [subscriber],
        kind=Notice.Kind.MAINTENANCE,
        source="maintenance-update-1",
        subject="Maintenance scheduled",
        body="Words.",
        now=timezone.now(),
    )
    return row


def test_a_row_is_sent_once_however_often_its_id_is_handed_out(notice, smtp_server):
    assert outbox.send([notice.pk]) == 1
    assert outbox.send([notice.pk]) == 0
    assert outbox.sweep() == 0
    assert len(smtp_server.messages) == 1


def test_a_leased_row_waits_for_its_lease_then_the_sweep_sends_it(notice, smtp_server, clock):
    """A worker that claimed a row and died: nobody sends it until the lease runs out."""
    Notice.objects.filter(pk=notice.pk).update(
        status=Notice.Status.SENDING, attempts=1, lease_until=clock.now + outbox.LEASE
    )
    clock.advance(seconds=1)  # the row is due by its time; only its lease holds it back
    assert outbox.sweep() == 0 and smtp_server.messages == []
    clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    assert outbox.sweep() == 1
    notice.refresh_from_db()
    assert notice.status == "sent" and notice.attempts == 2


def test_a_row_gives_up_after_the_last_attempt(notice, smtp_server, settings, clock):
    settings.MAILERS["default"]["OPTIONS"]["port"] = 9  # nothing listens there
    clock.advance(seconds=1)  # the clock starts on a whole second, maybe before the row
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.sweep()
        clock.advance(hours=1)
    notice.refresh_from_db()
    assert notice.status == "failed" and notice.attempts == outbox.MAX_ATTEMPTS
    assert "ConnectionRefusedError" in notice.last_error
    assert smtp_server.messages == []


@pytest.mark.parametrize("rows", [3, 30])
def test_feeds_run_constant_queries(
    commander, responder, fraud_model, rows, django_assert_num_queries
):
    for i in range(rows):
        incident = declare(commander, fraud_model, severity=2)
        publish_renditions(incident, commander, responder, customer={"summary": f"Notice {i}"})
        announced_maintenance(commander, fraud_model, hours_ahead=i + 1)
    with django_assert_num_queries(2):
        assert len(feeds.syndication("atom")) > 0
    with django_assert_num_queries(1):
        assert feeds.calendar().count(b"BEGIN:VEVENT") == rows
