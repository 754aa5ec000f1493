"""Benchmark of the learning loop: communication metrics over many incidents, and drill replay.

Run by `make bench` (bench/run.py) on a scratch database (benchkit). Seeds resolved
incidents written through the real services (a decision request settled by
a decision, a published update, the contained and resolved milestones), then
measures the metrics API, page and CSV in-process, and how fast the drill
tick applies replay steps. Context figures: no goals.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from benchkit import QUICK, Figure, Queries, report, setup_django

setup_django("icc-bench-learning-")

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from comms import workflows  # noqa: E402
from comms.services import create_draft, publish_update  # noqa: E402
from incidents.choices import Phase  # noqa: E402
from incidents.decisions import record_decision, request_decision  # noqa: E402
from incidents.models import MonitoredModel  # noqa: E402
from learning.drills import library, runs  # noqa: E402
from learning.models import DrillStep  # noqa: E402

INCIDENTS = int(os.environ.get("BENCH_LEARNING_INCIDENTS", "40" if QUICK else "200"))
DRILLS = int(os.environ.get("BENCH_LEARNING_DRILLS", "3" if QUICK else "10"))
REQUESTS = int(os.environ.get("BENCH_LEARNING_REQUESTS", "10"))


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
    urls = [
        "/api/v1/metrics/communication/",
        "/communication-metrics/",
        "/communication-metrics/communication.csv",
    ]
    results = {url: measure(client, url) for url in urls}
    steps, replay_s = replay(commander)
    report(
        "Learning loop",
        'Context figures (no goals; the query counts have theirs in "Query counts"): '
        f"{INCIDENTS} resolved incidents, each with a settled decision request, a published update and the "
        f"contained and resolved milestones, written through the services (seeded in {seed_s:.0f} s). "
        f"In-process (Django test client), median of {REQUESTS} requests; the metrics are computed per "
        "request (no cache).",
        [
            *[
                Figure(
                    f"`GET {url}` ({INCIDENTS} incidents)",
                    r["ms"],
                    "ms",
                    detail=f"{r['queries']} queries, {r['size'] / 1024:,.0f} KiB",
                )
                for url, r in results.items()
            ],
            Figure(
                f"drill tick: {steps} replay steps of {DRILLS} drills applied by one `run_due`",
                steps / replay_s,
                "steps/s",
                detail=f"{replay_s:,.2f} s, one claim per step",
            ),
        ],
        order=80,
    )


if __name__ == "__main__":
    main()
