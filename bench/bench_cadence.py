"""Benchmark of the update cadence: 1 000 deadlines falling due at the same second.

Real incidents are declared through the services (each plans its update
deadlines); then exactly 1 000 open deadlines (QUICK: 200) are set, in the
database, to fall due at one second a few seconds ahead, and every other
deadline far ahead. A real Celery beat (the console's schedule: the cadence
tick every CADENCE_TICK_SECONDS) and one real worker (`--pool prefork -c 2`)
then do the rest: claim each due deadline, write its reminder to the people
who can publish the update (the incident commander: an in-app notice), log
it, and deliver the notice. Lag = the notice's `delivered_at` − the
deadline's due time. Goal: p99 ≤ 5 s; every deadline reminded exactly once.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta

from benchkit import QUICK, Figure, report, setup_django

setup_django("icc-bench-cadence-")

from benchkit import servers  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from comms import workflows  # noqa: E402
from comms.models import Deadline, Delivery  # noqa: E402

DEADLINES = int(os.environ.get("BENCH_CADENCE_DEADLINES", "200" if QUICK else "1000"))
LEAD_SECONDS = 8  # time for the worker and beat to start before the deadlines fall due
TIMEOUT = 120


def seed() -> list[int]:
    call_command("migrate", verbosity=0)
    commander, _ = User.objects.get_or_create(username="bench-commander")
    commander.groups.set(
        [Group.objects.get_or_create(name=n)[0] for n in ("commander-eligible", "responder")]
    )
    while Deadline.objects.open().count() < DEADLINES:
        workflows.declare_incident(by=commander, title="Cadence", severity=1)
    chosen = list(Deadline.objects.open().order_by("pk").values_list("pk", flat=True)[:DEADLINES])
    Deadline.objects.open().exclude(pk__in=chosen).update(
        due_at=timezone.now() + timedelta(days=30)
    )
    return chosen


def main() -> None:
    chosen = seed()
    due = (timezone.now() + timedelta(seconds=LEAD_SECONDS)).replace(microsecond=0)
    Deadline.objects.filter(pk__in=chosen).update(due_at=due)
    worker = servers.celery_worker(concurrency=2, pool="prefork", name="cadence-worker")
    beat = servers.celery_beat()
    try:
        reminders = Delivery.objects.filter(kind=Delivery.Kind.REMINDER, deadline_id__in=chosen)
        deadline = time.monotonic() + LEAD_SECONDS + TIMEOUT
        while reminders.filter(status=Delivery.Status.DELIVERED).count() < DEADLINES:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        beat.stop()
        worker.stop()
    delivered = list(
        reminders.filter(status=Delivery.Status.DELIVERED).values_list(
            "deadline_id", "delivered_at"
        )
    )
    lags = sorted((at - due).total_seconds() for _, at in delivered)
    per_deadline = reminders.values("deadline_id").annotate(n=Count("pk"))
    duplicates = sum(row["n"] - 1 for row in per_deadline if row["n"] > 1)
    reminded = {d for d, _ in delivered}
    p50 = statistics.median(lags) if lags else float("inf")
    p99 = (
        statistics.quantiles(lags, n=100, method="inclusive")[98] if len(lags) > 1 else float("inf")
    )
    report(
        "Cadence",
        f"{DEADLINES:,} update deadlines of real incidents falling due at the same second, a real "
        f"Celery beat ticking every {settings.CADENCE_TICK_SECONDS} s and one worker (`--pool prefork -c 2`): "
        "lag from the due time to the reminder notice delivered (its `delivered_at`).",
        [
            Figure(
                "reminder lag p99",
                p99,
                "s",
                goal="<= 5",
                detail=f"p50 {p50:.2f} s, max {max(lags, default=0):.2f} s",
            ),
            Figure("deadlines not reminded", DEADLINES - len(reminded), goal="== 0"),
            Figure("duplicate reminders", duplicates, goal="== 0"),
        ],
        order=25,
    )


if __name__ == "__main__":
    main()
