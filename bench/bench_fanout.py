"""Benchmark of the fan-out: 10 000 signed webhook deliveries against a no-op Celery task.

One published update (a customer rendition) fans out to 10 000 webhook
subscriptions (QUICK: 1 000) whose targets are a real HTTP sink on loopback
(benchkit/sink.py: keep-alive, answers 204, counts receipts by `webhook-id`
and checks each carries a Standard Webhooks signature). The figure is the
rate from the publish call to the last receipt, divided by the rate at which
the same worker set-up (one `celery worker --pool prefork -c 2`, the
console's settings, the same broker) runs Celery's built-in no-op task
`celery.accumulate`, measured in the same run from the first send until the
queue is empty. Lost = subscribers the sink never heard from; duplicates =
receipts of a `webhook-id` already received (none expected without crashes).

The publish call runs in this process, whose URLconf is loaded first (as a
web process's is before it serves one). The sink, this process's polls and
the workers share the machine's cores, so the sink parses as little as it
can and one client polls it (and one Redis connection polls the queue).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from benchkit import QUICK, ROOT, Figure, report, setup_django

setup_django("icc-bench-fanout-")

import httpx  # noqa: E402
from benchkit import servers  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.urls import reverse  # noqa: E402

from comms import workflows  # noqa: E402
from comms.models import Channel, Delivery, Subscription  # noqa: E402
from comms.services import create_draft, publish_update  # noqa: E402
from console.celery import app  # noqa: E402
from incidents.choices import Role  # noqa: E402
from incidents.models import MonitoredModel  # noqa: E402
from incidents.services import assign_role  # noqa: E402

DELIVERIES = int(os.environ.get("BENCH_FANOUT_DELIVERIES", "1000" if QUICK else "10000"))
NOOPS = DELIVERIES
TIMEOUT = 60 if QUICK else 300
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # Standard Webhooks test secret (base64)


def seed(sink: str):
    call_command("migrate", verbosity=0)
    groups = {
        n: Group.objects.get_or_create(name=n)[0] for n in ("commander-eligible", "responder")
    }
    commander, _ = User.objects.get_or_create(username="bench-commander")
    commander.groups.set([groups["commander-eligible"], groups["responder"]])
    comms, _ = User.objects.get_or_create(username="bench-comms")
    comms.groups.set([groups["responder"]])
    model = MonitoredModel.objects.create(
        name="Fan-out model", slug="fanout", team="Bench", business_function="Payments", risk_tier=1
    )
    incident = workflows.declare_incident(
        by=commander, title="Fan-out", severity=1, models=[(model, "")]
    )
    assign_role(incident=incident, role=Role.COMMS_LEAD, user=comms, by=commander)
    Subscription.objects.bulk_create(
        [
            Subscription(
                name=f"Receiver {i}",
                channel=Channel.WEBHOOK,
                target=f"{sink}/hook/{i}",
                secret=SECRET,
                audience="customer",
                min_severity=4,
                created_by=commander,
            )
            for i in range(DELIVERIES)
        ],
        batch_size=1000,
    )
    return incident, commander, comms


def queue_length(conn) -> int:
    return int(conn.default_channel.client.llen(app.conf.task_default_queue or "celery"))


def noop_rate() -> float:
    """No-op tasks per second on the same worker set-up: first send to an empty queue."""
    start = time.monotonic()
    with app.producer_or_acquire() as producer:
        for _ in range(NOOPS):
            app.send_task("celery.accumulate", args=[1], producer=producer)
    deadline = start + TIMEOUT
    with app.connection_for_write() as conn:  # one connection for every poll
        while queue_length(conn) > 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the no-op tasks did not drain")
            time.sleep(0.02)
    return NOOPS / (time.monotonic() - start)


# One client for every poll of the sink: a new httpx client loads the CA bundle
# (~20 ms of CPU), which polling every 50 ms would take from the workers measured.
_poller = httpx.Client(timeout=5)


def stats(sink: str) -> dict:
    return _poller.get(f"{sink}/stats").json()


def main() -> None:
    port = servers.free_port()
    sink_url = f"http://127.0.0.1:{port}"
    env = os.environ | {"PYTHONPATH": str(ROOT / "bench")}
    sink = subprocess.Popen([sys.executable, "-m", "benchkit.sink", str(port)], env=env)  # noqa: S603  our own sink
    worker = None
    try:
        servers.wait_for(lambda: _answers(sink_url), timeout=10, what="sink")
        incident, commander, comms = seed(sink_url)
        worker = servers.celery_worker(concurrency=2, pool="prefork", name="fanout-worker")
        baseline = noop_rate()
        update = create_draft(
            incident=incident,
            by=commander,
            what_changed="Rolled back",
            renditions={"customer": {"summary": "Some payments may fail; we are on it."}},
        )
        reverse("comms:feedback", args=["warm"])  # a web process has its URLconf loaded already
        start_wall, start = time.time(), time.monotonic()
        publish_update(update=update, by=comms, acknowledge_jargon=True)
        published = time.monotonic() - start
        deadline = start + TIMEOUT
        while (seen := stats(sink_url))["distinct"] < DELIVERIES and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = (seen["last_at"] - start_wall) if seen["distinct"] else TIMEOUT
        rate = seen["distinct"] / elapsed if elapsed > 0 else 0.0
        delivered = Delivery.objects.filter(update=update, status=Delivery.Status.DELIVERED).count()
    finally:
        if worker is not None:
            worker.stop()
        sink.terminate()
        sink.wait(10)
    report(
        "Fan-out",
        f"One published update to {DELIVERIES:,} webhook subscribers: signed Standard Webhooks POSTs to a "
        "real HTTP sink on loopback, from the publish call to the last receipt, on one Celery worker "
        "(`--pool prefork -c 2`). Baseline: Celery's built-in no-op task `celery.accumulate`, "
        f"{NOOPS:,} of them on the same worker set-up, from the first send until the queue is empty. "
        "The publish call (writing every delivery row in one transaction) is inside the measured time; "
        "the sink and the polls share the cores with the workers, so both are kept cheap.",
        [
            Figure(
                "deliveries per second ÷ no-op tasks per second",
                rate / baseline,
                "×",
                goal=">= 1.0",
                detail=f"{rate:,.0f} deliveries/s vs {baseline:,.0f} no-op tasks/s; "
                f"publish call {published:.1f} s, first receipt "
                f"{seen['first_at'] - start_wall:.1f} s, last {elapsed:.1f} s after publish",
            ),
            Figure(
                "deliveries lost",
                DELIVERIES - seen["distinct"],
                goal="== 0",
                detail=f"{seen['distinct']:,} of {DELIVERIES:,} subscribers received it; "
                f"{delivered:,} rows marked delivered; {seen['signed']:,} receipts signed",
            ),
            Figure("duplicates received", seen["duplicates"], goal="== 0"),
        ],
        order=20,
    )


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/stats", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
