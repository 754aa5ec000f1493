"""/readyz: 200 only when the database, its migrations, Redis, a worker and beat are all there."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from console import heartbeats
from tests.helpers import wait_until


@pytest.fixture(autouse=True)
def fresh_process_state(monkeypatch):
    monkeypatch.setattr(heartbeats, "_migrated", False)
    from django.core.cache import cache

    cache.delete_many([heartbeats.WORKER_KEY, heartbeats.BEAT_KEY])


def readyz(client):
    response = client.get("/readyz")
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


@pytest.mark.django_db
def test_without_a_worker_or_beat_it_is_not_ready_and_says_why(client):
    status, body = readyz(client)
    assert status == 503 and body["status"] == "not ready"
    checks = body["checks"]
    assert [checks[n]["ok"] for n in ("database", "migrations", "redis")] == [True, True, True]
    assert (
        checks["worker"]
        == {
            "ok": False,
            "error": "no heartbeat yet",
            "max_age_seconds": 60.0,
            "ms": checks["worker"].get("ms"),
        }
        or checks["worker"]["error"] == "no heartbeat yet"
    )
    assert (
        checks["beat"]["error"] == "no heartbeat yet" and checks["beat"]["max_age_seconds"] == 2.0
    )


@pytest.mark.django_db
def test_fresh_heartbeats_make_it_ready_and_stale_ones_name_the_culprit(client, monkeypatch):
    now = time.time()
    heartbeats.record(heartbeats.WORKER_KEY, now - 30)
    heartbeats.record(heartbeats.BEAT_KEY, now - 1)
    status, body = readyz(client)
    assert status == 200 and body["status"] == "ready", body
    assert body["checks"]["worker"]["age_seconds"] >= 30

    heartbeats.record(heartbeats.WORKER_KEY, now - 61)
    status, body = readyz(client)
    assert status == 503 and not body["checks"]["worker"]["ok"] and body["checks"]["beat"]["ok"]
    assert body["checks"]["worker"]["error"].startswith("last heartbeat 6")

    heartbeats.record(heartbeats.WORKER_KEY, now)
    heartbeats.record(heartbeats.BEAT_KEY, now - 5)  # two ticks of 1 s missed
    status, body = readyz(client)
    assert status == 503 and not body["checks"]["beat"]["ok"] and body["checks"]["worker"]["ok"]


@pytest.mark.django_db
def test_redis_down_is_a_503_not_a_500(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"serializer": "console.cache_serializer.JSONSerializer"},
        }
    }
    status, body = readyz(client)
    assert status == 503
    assert not body["checks"]["redis"]["ok"] and "Error" in body["checks"]["redis"]["error"]
    assert body["checks"]["worker"]["error"] == "Redis unreachable"
    assert body["checks"]["database"]["ok"]


@pytest.mark.django_db(transaction=True)
def test_an_unapplied_migration_is_named(client):
    call_command("migrate", "regulatory", "0001", verbosity=0)
    try:
        status, body = readyz(client)
        assert status == 503
        assert body["checks"]["migrations"]["pending"] == [
            "regulatory.0002_submitted_report_triggers"
        ]
    finally:
        call_command("migrate", "regulatory", verbosity=0)


def test_a_real_worker_and_beat_make_it_ready(
    client, settings, celery_redis, celery_worker_process, beat
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": celery_redis.url,
            "KEY_PREFIX": "icc",  # the workers' and beat's (CACHE_KEY_PREFIX unset)
            "OPTIONS": {"serializer": "console.cache_serializer.JSONSerializer"},
        }
    }
    body = wait_until(
        lambda: (r := client.get("/readyz")).status_code == 200 and r.json(),
        timeout=30,
        what="/readyz with a live worker and beat",
    )
    assert body["checks"]["worker"]["age_seconds"] <= heartbeats.WORKER_MAX_AGE
    assert body["checks"]["beat"]["age_seconds"] <= 2.0
