"""The outbox of customer mail: rows written in the caller's transaction, sent after commit.

The guarantees of comms deliveries, in the small: a notice is a row written
with what it is about (one per subscriber and source, so writing twice sends
once); after commit its id goes to the workers by task name (`SEND_TASK`). A
worker claims a row with a conditional UPDATE that sets a lease (two workers
never send the same row), sends with no transaction open, and records the
outcome with an UPDATE conditional on that lease. A transient failure retries
with exponential backoff up to MAX_ATTEMPTS; a refused address stops. The
sweeper (beat) re-sends what a killed worker or a broker outage left behind.

Every mail carries `List-Unsubscribe` and `List-Unsubscribe-Post:
List-Unsubscribe=One-Click` (RFC 8058). Errors are stored without the address.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.core import mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from publicstatus.links import unsubscribe_url
from publicstatus.models import Notice, Subscriber

log = logging.getLogger(__name__)
SEND_TASK = "publicstatus.tasks.send_notices_task"
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 6
BATCH = 50


def write(
    subscribers: Sequence[Subscriber],
    *,
    kind: str,
    source: str,
    subject: str,
    body: str,
    now: datetime,
) -> list[Notice]:
    """Write one notice per subscriber (inside the caller's transaction) and send them after commit."""
    rows = Notice.objects.bulk_create(
        [
            Notice(
                subscriber=s,
                kind=kind,
                source=source,
                subject=subject[:300],
                body=body,
                next_attempt_at=now,
            )
            for s in subscribers
        ]
    )
    ids = [n.pk for n in rows]
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
    return rows


def enqueue(ids: Sequence[int]) -> None:
    """Hand notice ids to the workers; a broker outage only delays them (the sweeper)."""
    for start in range(0, len(ids), BATCH):
        try:
            current_app.send_task(SEND_TASK, args=[list(ids[start : start + BATCH])])
        except Exception:  # noqa: BLE001 - any broker error: the sweeper re-drives the rows
            log.warning("Broker unavailable; %d notices left for the sweeper", len(ids) - start)
            return


def _claim(pk: int, now: datetime) -> datetime | None:
    """Take one due row with a lease; return the lease, or None if another worker has it."""
    lease = now + LEASE
    due = Q(status=Notice.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Notice.Status.SENDING, lease_until__lt=now
    )
    taken = (
        Notice.objects.filter(due, pk=pk)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(status=Notice.Status.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    )
    return lease if taken == 1 else None


def _message(notice: Notice) -> mail.EmailMessage:
    link = unsubscribe_url(notice.subscriber)
    return mail.EmailMessage(
        subject=notice.subject,
        body=f"{notice.body}\n\n-- \nUnsubscribe in one click: {link}\n",
        to=[notice.subscriber.address],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-ICC-Notice": str(notice.pk),
        },
    )


def _scrub(error: Exception, address: str) -> str:
    return f"{type(error).__name__}: {error}".replace(address, "<subscriber>")[:300]


def _record(notice: Notice, lease: datetime, **values: object) -> None:
    Notice.objects.filter(pk=notice.pk, status=Notice.Status.SENDING, lease_until=lease).update(
        **values
    )


def send(ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Claim and send these notices over one SMTP connection; return how many went out."""
    now = now or timezone.now()
    claimed: list[tuple[int, datetime]] = []
    for pk in ids:
        lease = _claim(pk, now)
        if lease is not None:
            claimed.append((pk, lease))
    if not claimed:
        return 0
    leases = dict(claimed)
    notices = list(Notice.objects.filter(pk__in=leases).select_related("subscriber"))
    connection = mail.mailers["default"]  # one connection for the batch
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        for notice in notices:  # the server is unreachable: every row waits for its retry
            _retry(notice, leases[notice.pk], exc)
        return 0
    sent = 0
    try:
        for notice in notices:
            sent += _send_one(notice, leases[notice.pk], connection)
    finally:
        connection.close()
    return sent


def _retry(notice: Notice, lease: datetime, exc: Exception) -> None:
    """Record a transient failure: back off exponentially, give up after MAX_ATTEMPTS."""
    retry = notice.attempts < MAX_ATTEMPTS
    _record(
        notice,
        lease,
        status=Notice.Status.PENDING if retry else Notice.Status.FAILED,
        next_attempt_at=timezone.now() + timedelta(seconds=30 * 2**notice.attempts),
        last_error=_scrub(exc, notice.subscriber.address),
    )


def _send_one(notice: Notice, lease: datetime, connection: Any) -> int:
    subscriber = notice.subscriber
    if notice.kind != Notice.Kind.CONFIRM and not subscriber.is_active:
        _record(notice, lease, status=Notice.Status.FAILED, last_error="not subscribed")
        return 0
    try:
        connection.send_messages([_message(notice)])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, ValueError) as exc:
        _record(
            notice, lease, status=Notice.Status.FAILED, last_error=_scrub(exc, subscriber.address)
        )
        return 0
    except (smtplib.SMTPException, OSError) as exc:
        _retry(notice, lease, exc)
        return 0
    _record(notice, lease, status=Notice.Status.SENT, sent_at=timezone.now())
    return 1


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send what is due: pending rows past their retry time and rows whose lease ran out."""
    now = now or timezone.now()
    due = Q(status=Notice.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Notice.Status.SENDING, lease_until__lt=now
    )
    ids = list(
        Notice.objects.filter(due, attempts__lt=MAX_ATTEMPTS)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(send(ids[i : i + BATCH], now=now) for i in range(0, len(ids), BATCH))
