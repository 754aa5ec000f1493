"""Fan-out through a real Celery worker (prefork, 2 processes) and a real Redis.

Every test here uses a redis-server of its own (see conftest): the Redis
outage test stops and restarts it, and parallel runs cannot steal each
other's tasks.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from comms import fanout
from comms.models import Delivery, DeliveryAttempt
from comms.sweeper import SWEEP_GRACE, sweep
from tests.fixtures.delivery import Reply, valid_secret
from tests.helpers import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def all_delivered(n: int) -> bool:
    return Delivery.objects.filter(status="delivered").count() == n


def bodies_by_webhook_id(sink) -> dict[str, list[bytes]]:
    seen: dict[str, list[bytes]] = defaultdict(list)
    for request in sink.received():
        seen[request.webhook_id].append(request.body)
    return seen


def test_fan_out_to_200_webhook_subscribers_arrives_exactly_once_each(
    celery_worker_process, make_deliveries, webhook_sink
):
    secret = valid_secret()
    webhook_sink.verify_with("/hook", secret)

    rows = make_deliveries(200, target=webhook_sink.url("/hook"), secret=secret, enqueue=True)

    webhook_sink.wait_for(lambda s: len(s.requests) >= 200, timeout=30, what="200 webhooks")
    wait_until(lambda: all_delivered(200), timeout=15, what="200 rows delivered")
    received = webhook_sink.received()
    assert sorted(r.webhook_id for r in received) == sorted(str(r.id) for r in rows)
    assert all(r.verified for r in received)
    assert DeliveryAttempt.objects.filter(ok=True).count() == 200
    # 4 tasks of 50, each over one kept-alive connection (a few more if one was dropped).
    assert len({r.client_port for r in received}) < 20


def test_a_worker_killed_mid_batch_loses_nothing(
    celery_worker_process, celery_worker_factory, celery_redis, make_deliveries, webhook_sink
):
    secret = valid_secret()
    webhook_sink.verify_with("/hook", secret)
    # The receiver answers 30 requests, then hangs: the kill lands mid-batch.
    webhook_sink.script("/hook", *[200] * 30, then=Reply(hold=True))
    rows = make_deliveries(100, target=webhook_sink.url("/hook"), secret=secret, enqueue=True)
    webhook_sink.wait_for(lambda s: s.held >= 1, timeout=30, what="a request in flight")

    celery_worker_process.kill()

    webhook_sink.release()
    at_kill = dict(Delivery.objects.values_list("pk", "status"))
    delivered_before = {str(pk) for pk, status in at_kill.items() if status == "delivered"}
    assert 0 < len(delivered_before) <= 30
    assert Delivery.objects.filter(status="pending", claimed_until__isnull=False).exists()

    # Time passes: the dead worker's leases run out.
    Delivery.objects.filter(status="pending").update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    webhook_sink.script("/hook", then=200)
    celery_worker_factory(celery_redis)
    assert sweep(now=timezone.now() + SWEEP_GRACE) == 100 - len(delivered_before)

    wait_until(lambda: all_delivered(100), timeout=30, what="every row delivered after the restart")
    seen = bodies_by_webhook_id(webhook_sink)
    assert set(seen) == {str(r.id) for r in rows}
    assert all(len(set(bodies)) == 1 for bodies in seen.values())  # a repeat is the same message
    assert all(r.verified for r in webhook_sink.received())
    repeated = {webhook_id for webhook_id, bodies in seen.items() if len(bodies) > 1}
    assert repeated, "the request in flight at the kill is sent again"
    assert not repeated & delivered_before  # what was recorded delivered is never sent again
    assert DeliveryAttempt.objects.filter(ok=True).count() == 100


def test_a_redis_outage_delays_deliveries_but_loses_none(
    redis_server_factory, celery_worker_factory, make_deliveries, webhook_sink, caplog
):
    redis = redis_server_factory()
    celery_worker_factory(redis)
    redis.stop()

    with caplog.at_level(logging.WARNING, logger="comms.fanout"):
        rows = make_deliveries(60, target=webhook_sink.url("/hook"), enqueue=True)

    assert [r.levelno for r in caplog.records if r.name == "comms.fanout"] == [logging.WARNING]
    assert Delivery.objects.filter(status="pending", attempts=0).count() == 60
    assert webhook_sink.received() == []

    redis.start()
    assert sweep(now=timezone.now() + SWEEP_GRACE) == 60

    wait_until(lambda: all_delivered(60), timeout=40, what="every row delivered once Redis is back")
    assert sorted(r.webhook_id for r in webhook_sink.received()) == sorted(str(r.id) for r in rows)


def test_beat_runs_the_sweeper_that_redrives_stranded_rows(
    celery_worker_process, celery_beat_process, make_deliveries, webhook_sink
):
    # Written a minute ago and never enqueued (the broker was down at commit).
    rows = make_deliveries(
        20, target=webhook_sink.url("/hook"), now=timezone.now() - timedelta(minutes=1)
    )

    wait_until(lambda: all_delivered(20), timeout=30, what="beat's sweep to deliver every row")
    assert sorted(r.webhook_id for r in webhook_sink.received()) == sorted(str(r.id) for r in rows)
    assert celery_beat_process.alive


def test_an_update_written_in_a_transaction_is_enqueued_only_after_commit(
    celery_worker_process, make_deliveries, webhook_sink
):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        rows = make_deliveries(5, target=webhook_sink.url("/hook"))
        fanout.enqueue_after_commit(rows)
        raise Abort

    rows = make_deliveries(5, target=webhook_sink.url("/hook"), enqueue=True)

    wait_until(lambda: all_delivered(5), timeout=20, what="the committed rows")
    assert Delivery.objects.count() == 5
    assert sorted(r.webhook_id for r in webhook_sink.received()) == sorted(str(r.id) for r in rows)
