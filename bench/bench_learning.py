"""Benchmark of the learning loop: communication metrics over many incidents, and drill replay.

Run with `make bench` (or `python bench/bench_learning.py`). Uses a scratch
database like the other scripts: SQLite in a temporary folder unless
BENCH_DATABASE_URL names another (one that may be emptied). Seeds resolved
incidents written through the real services (a decision request settled by
a decision, a published update, the contained and resolved milestones), then
measures the metrics API, page and CSV in-process, and how fast the drill
tick applies replay steps. Appends its section to docs/benchmarks.md,
replacing an earlier one, and keeps the rest.
"""

from __future__ import annotations

import os
import platform
import time
from datetime import UTC, datetime, timedelta

from benchkit import (
    Queries,
    setup_django,
    write_section,
)  # bench/ is sys.path[0] when run as a script

setup_django("icc-bench-learning-")

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from comms import workflows  # noqa: E402
from comms.services import create_draft, publish_update  # noqa: E402
from incidents.choices import Phase  # noqa: E402
from incidents.decisions import record_decision, request_decision  # noqa: E402
from incidents.models import MonitoredModel  # noqa: E402
from learning.drills import library, runs  # noqa: E402
from learning.models import DrillStep  # noqa: E402

INCIDENTS = int(os.environ.get("BENCH_LEARNING_INCIDENTS", "200"))
DRILLS = int(os.environ.get("BENCH_LEARNING_DRILLS", "10"))
REQUESTS = int(os.environ.get("BENCH_LEARNING_REQUESTS", "10"))
SECTION = "## Learning loop"


def seed() -> User:
    call_command("migrate", verbosity=0)
    group = Group.objects.get_or_create(name="commander-eligible")[0]
    responder = Group.objects.get_or_create(name="responder")[0]
    commander, _ = User.objects.get_or_create(username="bench-commander")
    commander.groups.set([group, responder])
    models = [
        MonitoredModel.objects.create(
            name=f"Model {m}",
            slug=f"model-{m}",
            team="Bench",
            business_function="Benchmark traffic",
            risk_tier=1 + m % 3,
        )
        for m in range(5)
    ]
    for i in range(INCIDENTS):
        incident = workflows.declare_incident(
            by=commander,
            title=f"Incident {i}",
            severity=1 + i % 4,
            models=[(models[i % 5], "")],
        )
        request = request_decision(
            incident=incident, by=commander, decision_type="rollback_model", question="Roll back?"
        )
        record_decision(
            incident=incident,
            by=commander,
            decision_type="rollback_model",
            decision="Roll back",
            rationale="Errors doubled",
            settles=request,
        )
        update = create_draft(
            incident=incident,
            by=commander,
            what_changed=f"Rolled back ({i})",
            renditions={"technical": {"summary": f"Previous version serving ({i})"}},
        )
        publish_update(update=update, by=commander)
        for phase in (Phase.CONTAINED, Phase.RESOLVED):
            workflows.reach_milestone(
                incident=incident, phase=phase, indicator="Errors normal", by=commander
            )
    return commander


def measure(client: Client, url: str) -> dict[str, float | int]:
    """Median milliseconds of REQUESTS gets, and the queries of one."""
    with Queries() as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "ms": sorted(times)[len(times) // 2],
        "queries": len(queries),
        "size": len(response.content),
    }


def replay(commander: User) -> tuple[int, float]:
    """Start DRILLS drills and apply all their steps in one tick; return (steps, seconds)."""
    scenarios = sorted(library.scenarios())
    for i in range(DRILLS):
        runs.start_drill(by=commander, scenario=scenarios[i % len(scenarios)], clock_factor=600)
    # Everything but the end steps, so every drill stays running while its steps apply.
    DrillStep.objects.filter(kind=DrillStep.Kind.END).update(
        due_at=timezone.now() + timedelta(days=1)
    )
    steps = (
        DrillStep.objects.filter(applied_at__isnull=True).exclude(kind=DrillStep.Kind.END).count()
    )
    start = time.perf_counter()
    applied = runs.run_due(now=timezone.now() + timedelta(hours=1))
    seconds = time.perf_counter() - start
    assert applied == steps, (applied, steps)
    return applied, seconds


def main() -> None:
    seed_start = time.perf_counter()
    commander = seed()
    seed_s = time.perf_counter() - seed_start
    client = Client()
    client.force_login(commander)
    urls = ["/api/v1/metrics/communication/", "/metrics/", "/metrics/communication.csv"]
    results = {url: measure(client, url) for url in urls}
    steps, replay_s = replay(commander)
    vendor = connection.vendor
    command = "make bench" + (
        " (BENCH_DATABASE_URL=postgres://…)" if vendor == "postgresql" else ""
    )
    lines = [
        SECTION,
        "",
        f"Produced by `{command}` (bench/bench_learning.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.python_implementation()} {platform.python_version()}, {vendor}, {os.cpu_count()} cores. "
        f"{INCIDENTS} resolved incidents, each with a settled decision request, a published update and the "
        f"contained and resolved milestones, written through the services (seeded in {seed_s:.0f} s). "
        f"In-process (Django test client), median of {REQUESTS} requests. The metrics are computed per request "
        "(no cache): the query count stays the same whatever the number of incidents.",
        "",
        "| what | time | queries | size |",
        "|---|---|---|---|",
        *[
            f"| `GET {url}` ({INCIDENTS} incidents) | {r['ms']:,.0f} ms | {r['queries']} | "
            f"{r['size'] / 1024:,.0f} KiB |"
            for url, r in results.items()
        ],
        f"| drill tick: {steps} replay steps of {DRILLS} drills applied by one `run_due` | "
        f"{replay_s:,.2f} s ({steps / replay_s:,.0f} steps/s) | one claim per step | – |",
    ]
    write_section(SECTION, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
