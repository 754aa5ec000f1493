"""The outbox worker loop in-process: claim, send, record, retry with backoff, sweep."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from comms import delivery, fanout, sweeper
from comms.delivery import LEASE_BASE, LEASE_PER_ROW, backoff, claim, deliver
from comms.models import Delivery, DeliveryAttempt
from comms.sweeper import SWEEP_GRACE, sweep
from comms.tasks import cadence_tick_task, deliver_task, sweep_deliveries_task
from tests.fixtures.delivery import Reply, valid_secret
from tests.helpers import race


def attempts(row: Delivery) -> list[tuple[int, bool, int | None]]:
    return [(a.number, a.ok, a.status_code) for a in DeliveryAttempt.objects.filter(delivery=row)]


def test_500_then_200_is_retried_under_the_same_webhook_id_and_delivered_once(
    make_deliveries, webhook_sink
):
    secret = valid_secret()
    webhook_sink.verify_with("/hook", secret)
    webhook_sink.script("/hook", 500, then=200)
    t0 = timezone.now()
    (row,) = make_deliveries(target=webhook_sink.url("/hook"), secret=secret, now=t0)

    assert deliver([str(row.id)], now=t0) == {"retry": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claimed_until) == ("pending", 1, None)
    assert t0 + timedelta(seconds=5) <= row.next_attempt_at <= t0 + timedelta(seconds=10)
    assert "HTTP 500" in row.last_error

    assert deliver([str(row.id)], now=t0 + timedelta(seconds=4)) == {}  # not due yet
    assert deliver([str(row.id)], now=t0 + timedelta(seconds=11)) == {"delivered": 1}
    assert deliver([str(row.id)], now=t0 + timedelta(hours=1)) == {}  # never re-sent

    row.refresh_from_db()
    assert (row.status, row.attempts, row.delivered_at) == (
        "delivered",
        2,
        t0 + timedelta(seconds=11),
    )
    assert attempts(row) == [(1, False, 500), (2, True, 200)]
    first, second = webhook_sink.received()
    assert first.webhook_id == second.webhook_id == str(row.id)
    assert first.body == second.body
    assert first.verified and second.verified


def test_410_fails_at_once_and_is_never_retried(make_deliveries, webhook_sink):
    webhook_sink.script("/gone", Reply(410, b"gone"))
    t0 = timezone.now()
    (row,) = make_deliveries(target=webhook_sink.url("/gone"), now=t0)

    assert deliver([row.id], now=t0) == {"failed": 1}
    assert sweep(now=t0 + timedelta(hours=1)) == 0
    assert deliver([row.id], now=t0 + timedelta(hours=1)) == {}

    row.refresh_from_db()
    # Our words, never the receiver's body (#10: it could be an internal page).
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "HTTP 410 from the receiver")
    assert attempts(row) == [(1, False, 410)]
    assert len(webhook_sink.received()) == 1


def test_a_timeout_is_transient(make_deliveries, webhook_sink, monkeypatch):
    monkeypatch.setattr("comms.transports.HTTP_TIMEOUT", httpx.Timeout(0.3))
    webhook_sink.script("/slow", Reply(hold=True))
    t0 = timezone.now()
    (row,) = make_deliveries(target=webhook_sink.url("/slow"), now=t0)

    assert deliver([row.id], now=t0) == {"retry": 1}

    webhook_sink.release()
    row.refresh_from_db()
    assert row.status == "pending" and row.last_error.startswith("timeout: ReadTimeout")
    (attempt,) = DeliveryAttempt.objects.filter(delivery=row)
    assert (attempt.ok, attempt.status_code) == (False, None)
    assert attempt.duration_ms >= 300


def test_after_the_maximum_number_of_attempts_the_row_fails(
    make_deliveries, webhook_sink, settings
):
    settings.DELIVERY_MAX_ATTEMPTS = 3
    webhook_sink.script("/down", then=503)
    t0 = timezone.now()
    (row,) = make_deliveries(target=webhook_sink.url("/down"), now=t0)

    outcomes = [deliver([row.id], now=t0 + timedelta(hours=h)) for h in range(4)]

    assert outcomes == [{"retry": 1}, {"retry": 1}, {"failed": 1}, {}]
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("gave up after 3 attempts: HTTP 503")
    assert len(webhook_sink.received()) == 3


def test_429_waits_at_least_as_long_as_retry_after(make_deliveries, webhook_sink):
    webhook_sink.script("/busy", Reply(429, headers={"Retry-After": "120"}))
    t0 = timezone.now()
    (row,) = make_deliveries(target=webhook_sink.url("/busy"), now=t0)

    deliver([row.id], now=t0)

    row.refresh_from_db()
    assert row.next_attempt_at >= t0 + timedelta(seconds=120)


def test_backoff_doubles_with_jitter_up_to_fifteen_minutes():
    for attempt in range(1, 12):
        ceiling = min(timedelta(minutes=15), timedelta(seconds=10 * 2 ** (attempt - 1)))
        waits = {backoff(attempt) for _ in range(20)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered


def test_a_batch_shares_one_connection(make_deliveries, webhook_sink):
    rows = make_deliveries(25, target=webhook_sink.url("/hook"))

    assert deliver([r.id for r in rows]) == {"delivered": 25}

    assert len({r.client_port for r in webhook_sink.received()}) == 1


def test_a_cookie_one_receiver_sets_never_reaches_another(make_deliveries, webhook_sink):
    """One client carries a whole batch, many subscribers' messages: it keeps no cookies."""
    webhook_sink.script("/a", then=Reply(200, headers={"Set-Cookie": "session=of-a; Path=/"}))
    t0 = timezone.now()
    first = make_deliveries(target=webhook_sink.url("/a"), now=t0)
    second = make_deliveries(target=webhook_sink.url("/b"), now=t0 + timedelta(seconds=1))

    assert deliver([r.id for r in first + second], now=t0 + timedelta(seconds=2)) == {
        "delivered": 2
    }

    received = webhook_sink.received()
    assert [r.path for r in received] == ["/a", "/b"]
    assert [r.headers.get("cookie") for r in received] == [None, None]


def test_every_channel_goes_through_deliver(
    make_deliveries, webhook_sink, mailoutbox, commander, apprise_json_allowed
):
    rows = (
        make_deliveries(channel="inapp", user=commander)
        + make_deliveries(channel="email", target="eve@example.test")
        + make_deliveries(channel="slack", target=webhook_sink.url("/slack"))
        + make_deliveries(channel="apprise", target=f"json://127.0.0.1:{webhook_sink.port}/apprise")
        + make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))
    )

    assert deliver([r.id for r in rows]) == {"delivered": 5}

    assert len(mailoutbox) == 1
    assert sorted(r.path for r in webhook_sink.received()) == ["/apprise", "/hook", "/slack"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert DeliveryAttempt.objects.filter(ok=True).count() == 5


def test_ids_that_name_nothing_are_ignored(db):
    assert deliver(["not-a-uuid", "3f0e4c4e-0000-4000-8000-000000000000"]) == {}


# --- Claims ------------------------------------------------------------------------------------


def test_a_claimed_row_cannot_be_claimed_again_until_its_lease_runs_out(make_deliveries):
    t0 = timezone.now()
    rows = make_deliveries(3, target="http://127.0.0.1:9/hook", now=t0)
    ids = [r.id for r in rows]

    first = claim(ids, now=t0)
    assert sorted(r.id for r in first) == sorted(ids)
    assert claim(ids, now=t0) == []
    assert claim(None, now=t0) == []

    lease = LEASE_BASE + LEASE_PER_ROW * 3
    assert claim(ids, now=t0 + lease - timedelta(seconds=1)) == []
    assert len(claim(ids, now=t0 + lease + timedelta(seconds=1))) == 3


def test_a_late_outcome_never_overwrites_the_worker_that_took_over(make_deliveries, webhook_sink):
    t0 = timezone.now()
    (row,) = make_deliveries(target=webhook_sink.url("/hook"), now=t0)
    (stale,) = claim([row.id], now=t0)
    later = t0 + timedelta(hours=1)

    assert deliver([row.id], now=later) == {
        "delivered": 1
    }  # the lease ran out; another worker sent it
    with httpx.Client() as http:
        assert delivery.send(stale, http=http, now=later) == "lost_claim"

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("delivered", 1)
    assert attempts(row) == [(1, True, 200)]


def test_a_batch_records_the_rows_it_still_holds_and_leaves_the_one_taken_over(
    make_deliveries, webhook_sink
):
    t0 = timezone.now()
    rows = make_deliveries(3, target=webhook_sink.url("/hook"), now=t0)
    held = claim([r.id for r in rows], now=t0)
    later = t0 + timedelta(hours=1)
    (taken,) = claim([held[0].id], now=later)  # its lease ran out; another worker took it
    with httpx.Client() as http:
        sent = [delivery.transmit(row, http=http, now=later) for row in held]

    assert delivery.record_many(sent) == ["lost_claim", "delivered", "delivered"]

    states = {
        r.id: (r.status, r.attempts, r.claimed_until)
        for r in Delivery.objects.filter(pk__in=[r.id for r in rows])
    }
    assert states[taken.id] == ("pending", 0, taken.claimed_until)
    assert [states[r.id] for r in held[1:]] == [("delivered", 1, None)] * 2
    assert sorted(a.delivery_id for a in DeliveryAttempt.objects.all()) == sorted(
        r.id for r in held[1:]
    )


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliver_calls_send_each_delivery_exactly_once(
    make_deliveries, webhook_sink
):
    rows = make_deliveries(40, target=webhook_sink.url("/hook"))
    ids = [str(r.id) for r in rows]
    results = race(lambda: deliver(ids))

    assert sum(r["delivered"] for r in results) == 40
    received = [r.webhook_id for r in webhook_sink.received()]
    assert sorted(received) == sorted(ids)
    assert Delivery.objects.filter(status="delivered", attempts=1).count() == 40
    assert DeliveryAttempt.objects.count() == 40


# --- Sweeper ---------------------------------------------------------------------------------


def test_sweep_redrives_what_nobody_holds_and_ignores_the_rest(make_deliveries, monkeypatch):
    enqueued: list[list] = []
    monkeypatch.setattr(
        sweeper, "enqueue", lambda ids: enqueued.append(sorted(str(i) for i in ids))
    )
    now = timezone.now()
    old = now - SWEEP_GRACE - timedelta(seconds=1)
    url = "http://127.0.0.1:9/hook"
    should = {
        "lost enqueue": make_deliveries(target=url, now=old),
        "expired claim": make_deliveries(
            target=url, now=now, claimed_until=now - timedelta(seconds=1)
        ),
        "retry due": make_deliveries(target=url, now=old, attempts=2),
    }
    should_not = {
        "fresh, just enqueued": make_deliveries(target=url, now=now),
        "claimed": make_deliveries(target=url, now=old, claimed_until=now + timedelta(seconds=30)),
        "retry later": make_deliveries(
            target=url, now=old, attempts=1, next_attempt_at=now + timedelta(minutes=1)
        ),
        "delivered": make_deliveries(target=url, now=old, status="delivered", delivered_at=old),
        "failed": make_deliveries(target=url, now=old, status="failed"),
    }

    assert sweep(now=now) == 3
    assert sweep(now=now) == 3  # idempotent: the claim decides who sends

    expected = sorted(str(rows[0].id) for rows in should.values())
    assert enqueued == [expected, expected]
    assert not {str(rows[0].id) for rows in should_not.values()} & set(expected)


# --- Tasks ---------------------------------------------------------------------------------------


def test_the_tasks_wrap_the_services(make_deliveries, webhook_sink, monkeypatch):
    rows = make_deliveries(2, target=webhook_sink.url("/hook"))
    ticks: list = []
    monkeypatch.setattr("comms.cadence_tick.run_due", lambda: ticks.append(1) or {})
    monkeypatch.setattr(sweeper, "enqueue", lambda ids: None)

    assert deliver_task.apply(args=[[str(r.id) for r in rows]]).get() == {"delivered": 2}
    assert deliver_task.apply(args=[[str(r.id) for r in rows]]).get() == {}
    assert sweep_deliveries_task.apply().get() == 0
    cadence_tick_task.apply().get()
    assert ticks == [1]
    assert deliver_task.acks_late is True


def test_the_tasks_keep_the_names_queued_tasks_and_beat_refer_to(settings):
    """Moving a task must not rename it: the broker holds names, and so does the beat schedule."""
    assert deliver_task.name == fanout.DELIVER_TASK == "comms.tasks.deliver_task"
    assert sweep_deliveries_task.name == "comms.tasks.sweep_deliveries_task"
    assert cadence_tick_task.name == "comms.tasks.cadence_tick_task"
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {sweep_deliveries_task.name, cadence_tick_task.name} <= beat


# --- Admin ------------------------------------------------------------------------------------------


def test_the_admin_lists_every_comms_model_and_shows_attempts(
    admin_client, make_deliveries, webhook_sink
):
    webhook_sink.script("/hook", 500)
    (row,) = make_deliveries(target=webhook_sink.url("/hook"))
    deliver([row.id])

    for model in ("statusupdate", "deadline", "subscription", "delivery", "feedback"):
        assert admin_client.get(f"/admin/comms/{model}/").status_code == 200, model
    page = admin_client.get(f"/admin/comms/delivery/{row.id}/change/")
    assert page.status_code == 200
    assert "HTTP 500" in page.content.decode()
    assert admin_client.get("/admin/comms/delivery/add/").status_code == 403


def test_send_again_requeues_failed_rows_but_never_delivered_ones(
    admin_client, make_deliveries, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued: list = []
    monkeypatch.setattr("comms.fanout.enqueue", lambda ids: enqueued.extend(str(i) for i in ids))
    (failed,) = make_deliveries(target="http://127.0.0.1:9/x", status="failed", attempts=8)
    (done,) = make_deliveries(target="http://127.0.0.1:9/x", status="delivered")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/comms/delivery/",
            {"action": "send_again", "_selected_action": [str(failed.id), str(done.id)]},
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    done.refresh_from_db()
    assert (failed.status, done.status) == ("pending", "delivered")
    assert enqueued == [str(failed.id)]
