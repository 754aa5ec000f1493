"""The delivery sweeper: the periodic tick that re-drives pending deliveries nobody holds.

Enqueuing at commit is the fast path; this is the safety net under it. Beat
runs it every `DELIVERY_SWEEP_SECONDS` (comms.tasks.sweep_deliveries_task).
It sends ids, not rows: the workers claim each row (`comms.delivery.claim`),
so a row enqueued twice is still sent once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from comms.delivery import claimable
from comms.fanout import enqueue
from comms.models import Delivery

log = logging.getLogger(__name__)

# Fresh rows are enqueued at commit; the sweeper leaves them this long first
# so that a busy queue is not filled with duplicates of work already queued.
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_LIMIT = 5000


def sweep(*, now: datetime | None = None) -> int:
    """Enqueue every due row nobody holds; return how many ids were handed to the broker.

    Catches rows whose enqueue was lost (broker down at commit), rows whose
    worker died (lease expired) and rows waiting for a retry. Enqueuing a row
    twice is harmless: the claim lets only one worker send it.
    """
    now = now or timezone.now()
    due = (
        Delivery.objects.filter(claimable(now))
        .filter(
            Q(attempts__gt=0)
            | Q(claimed_until__isnull=False)
            | Q(next_attempt_at__lte=now - SWEEP_GRACE)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    ids = list(due)
    if ids:
        enqueue(ids)
        log.info("sweeper re-drove %d deliveries", len(ids))
    return len(ids)
