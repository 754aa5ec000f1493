"""Heartbeats of the Celery workers and beat, and the readiness checks of /readyz.

Each worker (its parent process) writes `ops:heartbeat:worker` to the cache every
HEARTBEAT_SECONDS from a daemon thread; beat writes `ops:heartbeat:beat` each time it
sends a task, at most once a second, so the key's age is the time since beat last
ticked. /readyz reads both in one cache read. Redis is where the workers take their
tasks from, so a heartbeat that cannot be written means a worker that cannot work
either: both show as failing checks, and nothing here raises into Celery.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

log = logging.getLogger(__name__)

WORKER_KEY = "ops:heartbeat:worker"
BEAT_KEY = "ops:heartbeat:beat"
HEARTBEAT_SECONDS = 10
WORKER_MAX_AGE = 60.0
_TTL = 3600

_beat_process = False
_last_beat_write = 0.0
_migrated = False  # once every migration is applied, it stays so for this process


def record(key: str, now: float | None = None) -> None:
    try:
        cache.set(key, now if now is not None else time.time(), timeout=_TTL)
    except Exception:  # noqa: BLE001 - Redis down: /readyz says so through its own check
        log.warning("Could not record heartbeat %s", key, exc_info=True)


def start_worker_heartbeat() -> threading.Thread:
    """Record the worker's heartbeat now and every HEARTBEAT_SECONDS, from a daemon thread."""

    def beat_forever() -> None:
        while True:
            record(WORKER_KEY)
            time.sleep(HEARTBEAT_SECONDS)

    thread = threading.Thread(target=beat_forever, name="icc-heartbeat", daemon=True)
    thread.start()
    return thread


def mark_beat_process() -> None:
    global _beat_process
    _beat_process = True


def beat_sent_task() -> None:
    """In the beat process, record a tick (at most once a second)."""
    global _last_beat_write
    if not _beat_process:
        return
    now = time.time()
    if now - _last_beat_write >= 1.0:
        _last_beat_write = now
        record(BEAT_KEY, now)


def beat_max_age() -> float:
    """Two tick periods of the most frequent beat schedule (at least two seconds)."""
    periods = [
        float(entry["schedule"])
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if isinstance(entry.get("schedule"), int | float)
    ]
    return max(2 * min(periods, default=1.0), 2.0)


def _timed(check: Any) -> dict[str, Any]:
    started = time.monotonic()
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - a failing dependency is an answer, not a 500
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _migrations() -> dict[str, Any]:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            names = [f"{m.app_label}.{m.name}" for m, _ in pending]
            return {"ok": False, "pending": names[:20], "error": f"{len(names)} not applied"}
        _migrated = True
    return {"ok": True}


def ages(now: float | None = None) -> dict[str, float | None]:
    """Seconds since the worker's and beat's heartbeats (None: none recorded), in one cache read.

    Raises whatever the cache raises when Redis is unreachable.
    """
    now = now if now is not None else time.time()
    seen = cache.get_many([WORKER_KEY, BEAT_KEY])
    return {
        name: round(max(now - at, 0.0), 1) if isinstance(at, int | float) else None
        for name, at in (("worker", seen.get(WORKER_KEY)), ("beat", seen.get(BEAT_KEY)))
    }


def checks(now: float | None = None) -> dict[str, dict[str, Any]]:
    """Every readiness check by name: ok, and what it found (ages in seconds)."""
    found: dict[str, dict[str, Any]] = {
        "database": _timed(_database),
        "migrations": _timed(_migrations),
    }
    heard: dict[str, float | None] = {}

    def redis() -> dict[str, Any]:
        heard.update(ages(now))
        return {"ok": True}

    found["redis"] = _timed(redis)
    for name, limit in (("worker", WORKER_MAX_AGE), ("beat", beat_max_age())):
        age = heard.get(name)
        if not found["redis"]["ok"]:
            found[name] = {"ok": False, "error": "Redis unreachable", "max_age_seconds": limit}
        elif age is None:
            found[name] = {"ok": False, "error": "no heartbeat yet", "max_age_seconds": limit}
        else:
            found[name] = {"ok": age <= limit, "age_seconds": age, "max_age_seconds": limit}
            if age > limit:
                found[name]["error"] = f"last heartbeat {age} s ago"
    return found
