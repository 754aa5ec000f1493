"""Deliver the outbox: claim due delivery rows, send them, record every attempt.

Three short steps per row, and never a network call inside a transaction:

1. **claim** (short transaction): a conditional UPDATE sets a lease
   (`claimed_until`) on rows that are pending, due and unclaimed, so two
   workers never take the same row;
2. **send** (no transaction): the channel's transport, over one shared
   `httpx.Client` per task (up to BATCH_SIZE ids, claimed CLAIM_CHUNK at a time);
3. **record** (short transaction, every RECORD_EVERY rows): a
   `DeliveryAttempt` per row, then delivered, failed, or pending again with
   an exponential backoff.

A worker killed between 1 and 3 leaves the row claimed; once the lease runs
out, the sweeper (`comms.sweeper`) re-drives it. Delivery is therefore at least once, and a repeat
carries the same `webhook-id` (the row id) so receivers can deduplicate.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from structlog.contextvars import bound_contextvars

from comms.models import Delivery, DeliveryAttempt
from comms.transports import PermanentError, TransientError, new_http_client, transport_for
from incidents.models import incident_reference

log = logging.getLogger(__name__)

# Rows claimed at once; their lease covers the worst case of sending them all
# (connect 3 s + read 10 s + slack per row), so a slow batch is never
# re-claimed by another worker while it is still being sent.
CLAIM_CHUNK = 50
# Outcomes are recorded this many at a time (one transaction): a worker killed
# mid-batch re-sends at most this many rows once their lease runs out.
RECORD_EVERY = 25
LEASE_BASE = timedelta(seconds=30)
LEASE_PER_ROW = timedelta(seconds=15)
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_CAP = timedelta(minutes=15)

OUTCOME_DELIVERED = "delivered"
OUTCOME_RETRY = "retry"
OUTCOME_FAILED = "failed"
OUTCOME_LOST_CLAIM = "lost_claim"


def max_attempts() -> int:
    return settings.DELIVERY_MAX_ATTEMPTS


def claimable(now: datetime) -> Q:
    """Return the condition of a row any worker may take at *now*."""
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim(
    ids: Iterable[str | uuid.UUID] | None, *, now: datetime, limit: int = CLAIM_CHUNK
) -> list[Delivery]:
    """Claim up to *limit* due rows (among *ids*, or any) for this worker; return them.

    One short transaction of two statements:

    1. Read up to *limit* claimable rows whole, the longest-due first, locking
       them (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so a competing claimer
       takes other rows instead of waiting, and nobody deadlocks).
    2. Set this claim's lease on them with one UPDATE that re-checks the
       condition (each claim's lease is its own: a few random microseconds
       tell two claims of one instant apart).

    If the UPDATE took fewer rows than were read (SQLite, which ignores row
    locks, lets two claimers read the same rows; the re-check leaves each row
    to whoever set its lease first), only the rows carrying this lease are kept.
    """
    rows = Delivery.objects.filter(claimable(now))
    if ids is not None:
        rows = rows.filter(pk__in=_uuids(ids))
    with transaction.atomic():
        batch = list(
            rows.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .order_by("next_attempt_at")[:limit]
        )
        if not batch:
            return []
        lease = (
            now
            + LEASE_BASE
            + LEASE_PER_ROW * len(batch)
            + timedelta(microseconds=secrets.randbelow(1000))
        )
        pks = [d.pk for d in batch]
        taken = Delivery.objects.filter(claimable(now), pk__in=pks).update(claimed_until=lease)
    if taken < len(batch):
        mine = set(
            Delivery.objects.filter(pk__in=pks, claimed_until=lease).values_list("pk", flat=True)
        )
        batch = [d for d in batch if d.pk in mine]
    for row in batch:
        row.claimed_until = lease
    return sorted(batch, key=lambda d: (d.created_at, d.pk))


def deliver(ids: Iterable[str | uuid.UUID], *, now: datetime | None = None) -> Counter[str]:
    """Send the due, unclaimed rows among *ids*; return how many ended in each outcome.

    Rows delivered, failed, claimed by another worker or not yet due are left
    alone, so calling this twice with the same ids is harmless. *now* fixes
    the clock (tests); by default every step reads the real time.
    """
    remaining = set(_uuids(ids))
    outcomes: Counter[str] = Counter()
    with new_http_client() as http:
        while remaining:
            batch = claim(remaining, now=now or timezone.now(), limit=CLAIM_CHUNK)
            if not batch:
                break
            for start in range(0, len(batch), RECORD_EVERY):
                sent = [
                    transmit(d, http=http, now=now) for d in batch[start : start + RECORD_EVERY]
                ]
                outcomes.update(record_many(sent))
            remaining.difference_update(d.pk for d in batch)
    if outcomes:
        log.info("deliveries: %s", dict(outcomes))
    return outcomes


@dataclass
class Sent:
    """What one transmission gave: the row, its error if any, and what to store of the attempt."""

    delivery: Delivery
    error: Exception | None
    status_code: int | None
    duration_ms: int
    at: datetime


def transmit(delivery: Delivery, *, http: httpx.Client, now: datetime | None = None) -> Sent:
    """Send one claimed row through its transport (no database work)."""
    started = time.monotonic()
    status_code: int | None = None
    error: Exception | None = None
    about = {"incident": incident_reference(delivery.incident_id)} if delivery.incident_id else {}
    with bound_contextvars(**about):
        try:
            status_code = transport_for(delivery.channel).notify(delivery, http=http)
        except (TransientError, PermanentError) as exc:
            error = exc
            status_code = exc.status_code
            log.warning("delivery %s via %s not delivered: %s", delivery.pk, delivery.channel, exc)
        except Exception as exc:  # noqa: BLE001 - a transport bug: retried, bounded by max attempts
            log.exception("transport %s crashed on delivery %s", delivery.channel, delivery.pk)
            error = TransientError(f"transport error: {type(exc).__name__}")
    duration_ms = int((time.monotonic() - started) * 1000)
    return Sent(delivery, error, status_code, duration_ms, now or timezone.now())


def send(delivery: Delivery, *, http: httpx.Client, now: datetime | None = None) -> str:
    """Send one claimed row through its transport and record the outcome."""
    (outcome,) = record_many([transmit(delivery, http=http, now=now)])
    return outcome


def record_many(sent: list[Sent]) -> list[str]:
    """Record the outcomes of several transmissions in one short transaction.

    A row is updated only while this worker still holds it (same lease, still
    pending): every delivered one in a single UPDATE, the rest one by one
    (retries and failures are rare); each gets its attempt row. Normally every
    row is still held, and the UPDATEs' counts prove it, so nothing is read
    first. If a count falls short (a lease ran out and another worker took the
    row over), the transaction is rolled back and redone after locking the rows
    and reading which are still held; a row whose claim was lost is left to the
    worker that took it over.
    """
    if not sent:
        return []
    try:
        with transaction.atomic():
            return _record_held(sent, held=None)
    except _ClaimLost:
        with transaction.atomic():
            return _record_held(sent, held=_held(sent))


class _ClaimLost(Exception):
    """A row was no longer held when its outcome was recorded (rolls the recording back)."""


def _held(sent: list[Sent]) -> set[uuid.UUID]:
    """Lock the rows of *sent* and return those this worker still holds."""
    leases = {s.delivery.pk: s.delivery.claimed_until for s in sent}
    rows = (
        Delivery.objects.select_for_update()
        .filter(pk__in=list(leases), status=Delivery.Status.PENDING)
        .values_list("pk", "claimed_until")
    )
    return {pk for pk, lease in rows if lease == leases[pk]}


def _record_held(sent: list[Sent], *, held: set[uuid.UUID] | None) -> list[str]:
    """Update the rows of *sent* still held and add their attempts.

    *held* names the rows known to be held (locked by `_held`); None assumes
    all of them are and raises `_ClaimLost` as soon as an UPDATE's count says
    otherwise.
    """
    mine = [s for s in sent if held is None or s.delivery.pk in held]
    delivered: dict[datetime | None, list[Sent]] = defaultdict(list)  # by lease: normally one
    for s in mine:
        if s.error is None:
            delivered[s.delivery.claimed_until].append(s)
    for lease, rows in delivered.items():
        updated = Delivery.objects.filter(
            pk__in=[s.delivery.pk for s in rows],
            status=Delivery.Status.PENDING,
            claimed_until=lease,
        ).update(
            attempts=F("attempts") + 1,
            claimed_until=None,
            status=Delivery.Status.DELIVERED,
            delivered_at=max(s.at for s in rows),
            last_error="",
        )
        if updated != len(rows):
            raise _ClaimLost
    attempts: list[DeliveryAttempt] = []
    outcomes: list[str] = []
    for s in sent:
        if held is not None and s.delivery.pk not in held:
            log.warning("delivery %s: claim lost before its outcome was recorded", s.delivery.pk)
            outcomes.append(OUTCOME_LOST_CLAIM)
            continue
        if s.error is None:
            outcomes.append(OUTCOME_DELIVERED)
        else:
            outcome, fields = _outcome(s.delivery, s.error, s.at)
            updated = Delivery.objects.filter(
                pk=s.delivery.pk,
                status=Delivery.Status.PENDING,
                claimed_until=s.delivery.claimed_until,
            ).update(**fields)
            if not updated:
                raise _ClaimLost
            outcomes.append(outcome)
        attempts.append(_attempt(s.delivery, s.error, s.status_code, s.duration_ms, s.at))
    DeliveryAttempt.objects.bulk_create(attempts)
    return outcomes


def _outcome(delivery: Delivery, error: Exception | None, at: datetime) -> tuple[str, dict]:
    """Return the outcome of one attempt and the row's new fields."""
    number = delivery.attempts + 1
    fields: dict = {"attempts": number, "claimed_until": None}
    if error is None:
        return OUTCOME_DELIVERED, fields | {
            "status": Delivery.Status.DELIVERED,
            "delivered_at": at,
            "last_error": "",
        }
    if isinstance(error, TransientError) and number < max_attempts():
        return OUTCOME_RETRY, fields | {
            "next_attempt_at": at + backoff(number, retry_after=error.retry_after),
            "last_error": str(error),
        }
    reason = (
        str(error)
        if isinstance(error, PermanentError)
        else f"gave up after {number} attempts: {error}"
    )
    return OUTCOME_FAILED, fields | {"status": Delivery.Status.FAILED, "last_error": reason}


def _attempt(
    delivery: Delivery,
    error: Exception | None,
    status_code: int | None,
    duration_ms: int,
    at: datetime,
) -> DeliveryAttempt:
    return DeliveryAttempt(
        delivery=delivery,
        number=delivery.attempts + 1,
        at=at,
        ok=error is None,
        status_code=status_code,
        error="" if error is None else str(error)[:2000],
        duration_ms=duration_ms,
    )


def backoff(attempt: int, *, retry_after: float | None = None) -> timedelta:
    """Return the wait after failed attempt number *attempt*: 10 s · 2^(n-1), capped, half of it jittered.

    Jitter spreads the retries of a fan-out that failed together (a receiver
    that was down) so they do not all come back at the same second.
    """
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    wait = ceiling / 2 + ceiling / 2 * random.random()  # noqa: S311  retry jitter, not a secret
    if retry_after is not None:
        wait = max(wait, min(timedelta(seconds=retry_after), BACKOFF_CAP))
    return wait


def _uuids(ids: Iterable[str | uuid.UUID]) -> list[uuid.UUID]:
    """Parse ids from a task's JSON; skip anything that is not a UUID (it names no row)."""
    parsed = []
    for value in ids:
        try:
            parsed.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            log.warning("ignoring a delivery id that is not a UUID: %r", value)
    return parsed
