"""Benchmark of the status pages: /status/ and /status/public/ with 200 active incidents.

Run with `make bench` (or `python bench/bench_status.py`). Uses a scratch
database like bench_core.py: SQLite in a temporary folder unless
BENCH_DATABASE_URL names another (one that may be emptied). Seeds 200 active
incidents (half with published executive and customer updates) and 100 000
metric points, then measures each page cold (content rendered), cached
(content from the cache) and revalidated (304), in-process. Appends its
section to docs/benchmarks.md, replacing an earlier one, and keeps the rest.
"""

from __future__ import annotations

import os
import platform
import time
import uuid
from datetime import UTC, datetime, timedelta

from benchkit import (
    Queries,
    setup_django,
    write_section,
)  # bench/ is sys.path[0] when run as a script

setup_django("icc-bench-status-")

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from comms import workflows  # noqa: E402
from comms.services import create_draft, publish_update  # noqa: E402
from incidents.choices import Role  # noqa: E402
from incidents.health_metrics import PointIn, ingest_metric_points  # noqa: E402
from incidents.models import ImpactRule, MonitoredModel  # noqa: E402
from incidents.services import assign_role  # noqa: E402

INCIDENTS = int(os.environ.get("BENCH_STATUS_INCIDENTS", "200"))
POINTS = int(os.environ.get("BENCH_STATUS_POINTS", "100000"))
MODELS = 10
REQUESTS = int(os.environ.get("BENCH_STATUS_REQUESTS", "50"))
COLD_REQUESTS = int(os.environ.get("BENCH_STATUS_COLD_REQUESTS", "5"))
SECTION = "## Status pages"


def seed() -> tuple[User, User]:
    call_command("migrate", verbosity=0)
    groups = {
        n: Group.objects.get_or_create(name=n)[0]
        for n in ("commander-eligible", "responder", "executive")
    }
    commander, _ = User.objects.get_or_create(username="bench-commander")
    commander.groups.set([groups["commander-eligible"], groups["responder"]])
    comms, _ = User.objects.get_or_create(username="bench-comms")
    comms.groups.set([groups["responder"]])
    executive, _ = User.objects.get_or_create(username="bench-executive")
    executive.groups.set([groups["executive"]])

    now = timezone.now().replace(second=0, microsecond=0)
    models = []
    for m in range(MODELS):
        model = MonitoredModel.objects.create(
            name=f"Model {m}",
            slug=f"model-{m}",
            team="Bench",
            business_function="Benchmark traffic",
            risk_tier=1 + m % 3,
        )
        ImpactRule.objects.create(
            model=model,
            metric="error_rate",
            baseline=2.0,
            customers_per_step=50,
            revenue_per_step="900.00",
            unit_label="customers per hour",
        )
        ImpactRule.objects.create(
            model=model,
            metric="p95_latency_ms",
            baseline=300,
            step=50,
            customers_per_step=20,
            revenue_per_step="400.00",
            unit_label="checkouts",
        )
        models.append(model)
    per_series = POINTS // (MODELS * 2)
    for model in models:
        for metric, base in (("error_rate", 1.5), ("p95_latency_ms", 250)):
            points = [
                PointIn(metric, now - timedelta(minutes=2 * i), base * (1 + (i % 17) / 10))
                for i in range(per_series)
            ]
            for start in range(0, len(points), 10_000):
                ingest_metric_points(model=model, points=points[start : start + 10_000])
    for i in range(INCIDENTS):
        incident = workflows.declare_incident(
            by=commander,
            title=f"Incident {i}",
            severity=1 + i % 4,
            models=[(models[i % MODELS], "")],
            customers_affected=100 * i,
            revenue_at_risk_per_hour=1000 * i,
            detected_at=now - timedelta(hours=1 + i % 20),
        )
        if i % 2:
            assign_role(incident=incident, role=Role.COMMS_LEAD, user=comms, by=commander)
            update = create_draft(
                incident=incident,
                by=commander,
                what_changed=f"Update {i}",
                renditions={
                    "executive": {"summary": f"Checkout errors for some customers ({i})."},
                    "customer": {"summary": f"Some payments may fail ({i}); we are on it."},
                },
            )
            publish_update(update=update, by=comms, acknowledge_jargon=True)
    return executive, commander


def measure(client: Client, url: str) -> dict[str, float | int]:
    """Time one URL cold (fresh cache key space), cached and revalidated; return ms and queries."""
    base = settings.CACHES["default"]
    cold_ms = []
    for _ in range(COLD_REQUESTS):
        with override_settings(
            CACHES={"default": {**base, "KEY_PREFIX": f"bench-{uuid.uuid4().hex}"}}
        ):
            with Queries() as cold_queries:
                start = time.perf_counter()
                response = client.get(url)
                cold_ms.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
    size = len(response.content)
    client.get(url)  # fill the cache
    with Queries() as warm_queries:
        response = client.get(url)
    etag = response["ETag"]
    start = time.perf_counter()
    for _ in range(REQUESTS):
        assert client.get(url).status_code == 200
    warm_s = time.perf_counter() - start
    with Queries() as revalidate_queries:
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    start = time.perf_counter()
    for _ in range(REQUESTS):
        client.get(url, HTTP_IF_NONE_MATCH=etag)
    revalidate_s = time.perf_counter() - start
    return {
        "cold_ms": sorted(cold_ms)[len(cold_ms) // 2],
        "cold_q": len(cold_queries),
        "size": size,
        "warm_rps": REQUESTS / warm_s,
        "warm_q": len(warm_queries),
        "revalidate_rps": REQUESTS / revalidate_s,
        "revalidate_q": len(revalidate_queries),
    }


def main() -> None:
    seed_start = time.perf_counter()
    executive, _ = seed()
    seed_s = time.perf_counter() - seed_start
    executive_client, public_client = Client(), Client()
    executive_client.force_login(executive)
    results = {
        "/status/": measure(executive_client, "/status/"),
        "/status/public/": measure(public_client, "/status/public/"),
    }
    vendor = connection.vendor
    command = "make bench" + (
        " (BENCH_DATABASE_URL=postgres://…)" if vendor == "postgresql" else ""
    )
    lines = [
        SECTION,
        "",
        f"Produced by `{command}` (bench/bench_status.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.python_implementation()} {platform.python_version()}, {vendor}, {os.cpu_count()} cores, "
        f"Redis cache. {INCIDENTS} active incidents (half with published executive and customer updates), "
        f"{POINTS:,} metric points over {MODELS} models (seeded in {seed_s:.0f} s). In-process (Django test "
        "client). *Cold* renders the content (fresh cache key space; median of "
        f"{COLD_REQUESTS}); *cached* serves it from the cache; *304* answers a matching If-None-Match.",
        "",
        "| page | cold render | cached render | 304 revalidation | page size |",
        "|---|---|---|---|---|",
        *[
            f"| `{url}` | {r['cold_ms']:,.0f} ms, {r['cold_q']} queries | {r['warm_rps']:,.0f} req/s, "
            f"{r['warm_q']} queries | {r['revalidate_rps']:,.0f} req/s, {r['revalidate_q']} queries | "
            f"{r['size'] / 1024:,.0f} KiB |"
            for url, r in results.items()
        ],
    ]
    write_section(SECTION, lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
