"""Pages and documents rendered once per *data version*, kept in two caches that may fail.

The status pages and the Statuspage API are read by many and polled often.
Each asks `data_version` for a short key that changes whenever its content
may have changed (one tiny query of the counters kit.versions keeps at write
time, made at most once a second per process: STATUS_VERSION_MAX_AGE), then
`cached_or_build` for the content of that version:

1. this process's memory (a small LRU: no network, no decoding),
2. the shared cache (Redis), skipped for a few seconds after it failed,
3. build it, and store it in both.

Content also has a short life (MAX_AGE_SECONDS) whatever its version: a
reader that met a counter bumped a microsecond before its rows became visible
(kit.versions) cannot keep stale content for longer than that. When Redis is
down every process still builds a version once, not once per request
(docs/benchmarks.md measures both paths).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from kit.versions import VersionCounter, read_counters

logger = logging.getLogger(__name__)

# How long content may be served, from either cache, before it is built again.
MAX_AGE_SECONDS = 10
# After the shared cache fails, leave it alone this long (no connect attempt per request).
SHARED_CACHE_BACKOFF_SECONDS = 5
# Entries kept in each process (pages of a few versions and audiences, a few hundred KiB each).
LOCAL_ENTRIES = 32


def data_version(
    counters: Sequence[VersionCounter],
    *,
    scope: Sequence[str],
    now: datetime | None = None,
) -> tuple[str, tuple[int, ...]]:
    """Return (version key, the counters' values), read in one query.

    The key hashes `scope` (schema version, audience or endpoint), the current
    hour and the counters: so windows such as "the last 7 days" move on each
    hour even when nothing is written.
    """
    now = now or timezone.now()
    values = _counters(counters)
    raw = "|".join([*scope, now.strftime("%Y%m%d%H"), *map(str, values)])
    return hashlib.sha256(raw.encode()).hexdigest()[:20], values


_counter_reads: dict[tuple[str, ...], tuple[float, tuple[int, ...]]] = {}


def _counters(counters: Sequence[VersionCounter]) -> tuple[int, ...]:
    """Read the counters, at most once per VERSION_MAX_AGE seconds in this process.

    Pages are polled by many: reading the counters once a second instead of on
    every request takes the database off their path. A change then shows
    within that second (settings.STATUS_VERSION_MAX_AGE; 0 reads on every request).
    """
    max_age = getattr(settings, "STATUS_VERSION_MAX_AGE", 1.0)
    names = tuple(c.name for c in counters)
    now = time.monotonic()
    known = _counter_reads.get(names)
    if known is not None and now - known[0] < max_age:
        return known[1]
    values = read_counters(counters)
    _counter_reads[names] = (now, values)
    return values


class LocalCache:
    """One process's LRU of (built at, content), entries living MAX_AGE_SECONDS at most.

    `local` (below) also remembers when the shared cache failed.
    """

    instances: list[LocalCache] = []

    def __init__(self, size: int = LOCAL_ENTRIES) -> None:
        self.size = size
        LocalCache.instances.append(self)
        self.entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self.lock = threading.Lock()
        self.shared_down_until = 0.0

    def get(self, key: str, now: float) -> str | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or now - entry[0] > MAX_AGE_SECONDS:
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, built_at: float, content: str) -> None:
        with self.lock:
            self.entries[key] = (built_at, content)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.shared_down_until = 0.0


local = LocalCache()


def clear_local_caches() -> None:
    """Empty every LocalCache of this process (tests; a deploy hook could too)."""
    for instance in LocalCache.instances:
        instance.clear()
    _counter_reads.clear()


def _shared_get(key: str, now: float) -> tuple[float, str] | None:
    if now < local.shared_down_until:
        return None
    try:
        stored = cache.get(key)
    except Exception:
        local.shared_down_until = now + SHARED_CACHE_BACKOFF_SECONDS
        logger.warning("cache unavailable; building %s here", key, exc_info=True)
        return None
    # Stored as [built at, content]; anything else (an older format, a planted value) is a miss.
    if (
        isinstance(stored, list)
        and len(stored) == 2
        and isinstance(stored[0], int | float)
        and isinstance(stored[1], str)
    ):
        return float(stored[0]), stored[1]
    return None


def _shared_set(key: str, built_at: float, content: str) -> None:
    if time.time() < local.shared_down_until:
        return
    try:
        cache.set(key, [built_at, content], MAX_AGE_SECONDS)
    except Exception:
        local.shared_down_until = time.time() + SHARED_CACHE_BACKOFF_SECONDS
        logger.warning("cache unavailable; not storing %s", key, exc_info=True)


def cached_or_build(key: str, build: Callable[[], str]) -> str:
    """Return the content stored under `key` (memory, then shared cache), building it when missing.

    Fail-open: a cache outage slows the first request of a version down; it
    must not break the page.
    """
    now = time.time()
    local_key = f"{cache.key_prefix}:{key}"  # the shared cache's namespace applies here too
    content = local.get(local_key, now)
    if content is not None:
        return content
    shared = _shared_get(key, now)
    if shared is not None and now - shared[0] <= MAX_AGE_SECONDS:
        local.put(local_key, shared[0], shared[1])
        return shared[1]
    content = build()
    local.put(local_key, now, content)
    _shared_set(key, now, content)
    return content
