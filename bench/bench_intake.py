"""Benchmark of alert intake: 1 000 Alertmanager notifications, a fifth of them repeats.

A gunicorn (2 sync workers, the console's settings plus the baselines of
benchkit.urls; the per-key rate limit raised for the run through
INTEGRATION_RATE_LIMIT_PER_MINUTE) receives 1 000 Alertmanager webhook
notifications (payload version 4; QUICK: 200) from 8 concurrent clients
with one integration key: 800 distinct alert groups, and 200 repeats of
groups already sent (same groupKey, as Alertmanager re-sends an open group).
Every group opens one incident, every repeat lands on it: incidents opened
must equal the distinct groups exactly. Baseline in the same run: the same
bodies, key and concurrency against `/bench/trivial-alert/`, a DRF POST with
the intake's authentication and JSON parser and no work.
"""

from __future__ import annotations

import copy
import json
import os
import random
import statistics
import threading
import time
from pathlib import Path

from benchkit import QUICK, ROOT, Figure, report, setup_django

setup_django("icc-bench-intake-")

import httpx  # noqa: E402
from benchkit import servers  # noqa: E402
from django.core.management import call_command  # noqa: E402

from incidents.models import Incident, MonitoredModel  # noqa: E402
from integrations.models import IntegrationKey  # noqa: E402

NOTIFICATIONS = int(os.environ.get("BENCH_INTAKE_NOTIFICATIONS", "200" if QUICK else "1000"))
REPEATS = NOTIFICATIONS // 5
CLIENTS = 8
FIXTURE = ROOT / "tests" / "integrations" / "fixtures" / "alertmanager_firing.json"
GOAL_P99_RATIO = "<= 10"
GOAL_P99_MS = "<= 300"


def notifications() -> list[dict]:
    """Distinct groups, then repeats of groups sent earlier, in a fixed shuffled order."""
    template = json.loads(Path(FIXTURE).read_text())
    groups = []
    for g in range(NOTIFICATIONS - REPEATS):
        body = copy.deepcopy(template)
        name = f"BenchAlert{g}"
        body["groupKey"] = f'{{}}/{{severity=~"critical|warning"}}:{{alertname="{name}"}}'
        body["groupLabels"] = {"alertname": name}
        body["commonLabels"]["alertname"] = name
        for alert in body["alerts"]:
            alert["labels"]["alertname"] = name
            alert["fingerprint"] = f"{g:016x}"
        groups.append(body)
    rng = random.Random(12)  # noqa: S311  a fixed order for the benchmark, not a secret
    order = list(groups)
    for r in range(REPEATS):
        # A repeat of a group that comes earlier in the order (already open when it arrives,
        # unless a concurrent client is still opening it: intake must not open it twice).
        position = rng.randrange(len(order) // 4, len(order))
        order.insert(position + 1, copy.deepcopy(order[rng.randrange(0, position)]))
    return order


def post_all(url: str, raw_key: str, bodies: list[dict]) -> list[float]:
    """POST every body from CLIENTS threads; return each answer's time in ms (all must be 202)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = list(enumerate(bodies))

    def client() -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {raw_key}"}, timeout=60) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    _, body = queue.pop(0)
                start = time.perf_counter()
                response = http.post(url, json=body)
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 202:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} answers were not 202, e.g. {errors[0]}")
    return latencies


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    call_command("migrate", verbosity=0)
    MonitoredModel.objects.create(
        name="Fraud scoring",
        slug="fraud-scoring",
        team="Payments risk",
        business_function="Card fraud screening",
        risk_tier=1,
    )
    _, raw = IntegrationKey.issue(name="bench-alertmanager", kind="alertmanager")
    bodies = notifications()
    distinct = len({b["groupKey"] for b in bodies})
    web, base = servers.gunicorn(
        workers=2, env=servers.bench_env(INTEGRATION_RATE_LIMIT_PER_MINUTE="1000000")
    )
    try:
        post_all(f"{base}/bench/trivial-alert/", raw, bodies[:50])  # warm up
        trivial = post_all(f"{base}/bench/trivial-alert/", raw, bodies)
        before = Incident.objects.count()
        intake = post_all(f"{base}/api/v1/integrations/alertmanager/", raw, bodies)
        opened = Incident.objects.count() - before
    finally:
        web.stop()
    report(
        "Alert intake",
        f"{len(bodies):,} Alertmanager notifications ({distinct:,} distinct groups, {len(bodies) - distinct:,} "
        f"repeats of groups already sent) from {CLIENTS} concurrent clients with one integration key, to a "
        "gunicorn with 2 sync workers (per-key rate limit raised for the run). Baseline: the same bodies, key "
        "and concurrency against `/bench/trivial-alert/` (the intake's authentication and JSON parser, no "
        "work), same server, same run. Every new group opens an incident (declaration, cadence deadlines, "
        "log entries, notices), so the goal on p99 is a bound a paging tool can live with rather than "
        "parity with a view that writes nothing: Alertmanager's default webhook timeout is 10 s.",
        [
            Figure(
                "incidents opened − distinct groups",
                opened - distinct,
                goal="== 0",
                detail=f"{opened:,} incidents for {distinct:,} groups",
            ),
            Figure(
                "intake p99 ÷ trivial authenticated POST p99",
                p(intake, 99) / p(trivial, 99),
                "×",
                goal=GOAL_P99_RATIO,
                detail=f"{p(intake, 99):,.0f} ms vs {p(trivial, 99):,.1f} ms",
            ),
            Figure(
                "intake p99",
                p(intake, 99),
                "ms",
                goal=GOAL_P99_MS,
                detail=f"p50 {p(intake, 50):,.0f} ms; trivial p50 {p(trivial, 50):,.1f} ms",
            ),
        ],
        order=40,
    )


if __name__ == "__main__":
    main()
