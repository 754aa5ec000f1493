"""Pages and documents rendered once per *data version*, kept in a cache that may fail.

The status pages and the Statuspage API are read by many and polled often:
each asks `data_version` (one query of scalar subqueries, whatever it
watches) for a short key that changes whenever its content may have changed,
then `cached_or_build` for the content of that version. The cache only
saves work: when it is down the content is built on every request, never
refused (docs/benchmarks.md measures both paths).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60 * 60


def data_version(
    subqueries: Sequence[str],
    params: Sequence[Any],
    *,
    scope: Sequence[str],
    now: datetime | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """Return (version key, the subqueries' values), read in one query.

    The key hashes `scope` (schema version, audience or endpoint), the current
    hour and every value: so windows such as "the last 7 days" move on each
    hour even when nothing is written. Callers build `subqueries` from model
    `_meta` table names only; every value is a parameter.
    """
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(subqueries), list(params))
        row = tuple(cursor.fetchone() or ())
    raw = "|".join([*scope, now.strftime("%Y%m%d%H"), *map(str, row)])
    return hashlib.sha256(raw.encode()).hexdigest()[:20], row


def cached_or_build(key: str, build: Callable[[], str], *, seconds: int = CACHE_SECONDS) -> str:
    """Return the content cached under `key`, building (and storing) it when missing.

    Fail-open: a cache outage slows the page down; it must not break it.
    """
    try:
        content = cache.get(key)
    except Exception:
        logger.warning("cache unavailable; building %s uncached", key, exc_info=True)
        return build()
    if content is None:
        content = build()
        try:
            cache.set(key, content, seconds)
        except Exception:
            logger.warning("cache unavailable; not storing %s", key, exc_info=True)
    return content
