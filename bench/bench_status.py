"""Benchmark of the status pages under load, with the cache up and down, and their cold renders.

`/status/` (executive, signed in), `/status/public/` and `/api/v2/summary.json`
are what everybody reloads during an incident. Seeds 200 active incidents
(half with published executive and customer updates) and 100 000 metric
points, starts gunicorn (2 sync workers, the console's settings plus the
baselines of benchkit.urls) and runs `wrk -t2 -c16` against each page and
its baseline in turn: a trivial view of the same auth kind on the same
server (`/bench/trivial-user/` loads the session and the user;
`/bench/trivial/` does nothing). Ratio = page rate ÷ mean of the baseline's
rate measured just before and just after the page.

"Cache down" repeats the runs against a second gunicorn whose Redis is
gone (its REDIS_URL names a loopback port where nothing listens: connection
refused, as when Redis is stopped). The 304 row sends the ETag of a first
answer back as If-None-Match. Cold renders run in-process (Django test
client, a fresh cache key space each time, median of five) and show what one
user waits when nothing is cached.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import timedelta

from benchkit import QUICK, Figure, Queries, publish_sample_update, report, setup_django

setup_django("icc-bench-status-")

from benchkit import servers  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from comms import workflows  # noqa: E402
from incidents.health_metrics import PointIn, ingest_metric_points  # noqa: E402
from incidents.models import ImpactRule, MonitoredModel  # noqa: E402
from kit import cache as kit_cache  # noqa: E402

INCIDENTS = int(os.environ.get("BENCH_STATUS_INCIDENTS", "200"))
POINTS = int(os.environ.get("BENCH_STATUS_POINTS", "10000" if QUICK else "100000"))
MODELS = 10
SECONDS = float(os.environ.get("BENCH_STATUS_SECONDS", "1" if QUICK else "5"))
CONNECTIONS = 16
COLD_REQUESTS = 5
PAGES = [
    # (url, baseline, signed in)
    ("/status/", "/bench/trivial-user/", True),
    ("/status/public/", "/bench/trivial/", False),
    ("/api/v2/summary.json", "/bench/trivial/", False),
]
GOAL_UP, GOAL_DOWN, GOAL_COLD_MS = ">= 0.5", ">= 0.1", "<= 100"


def seed() -> tuple[User, User]:
    """Write the incidents, updates and metric points through the real services."""
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
            publish_sample_update(
                incident, commander=commander, comms=comms, i=i, audiences=("executive", "customer")
            )
    return executive, commander


def session_cookie(user: User) -> str:
    """A signed-in session for `user` (stored where the server reads sessions)."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def browser_headers(base: str, url: str, cookie: str) -> tuple[dict[str, str], str]:
    """Headers a browser sends on its second visit (its cookies) and the page's ETag."""
    import httpx

    headers = {"Cookie": cookie} if cookie else {}
    first = httpx.get(base + url, headers=headers)
    first.raise_for_status()
    csrf = first.cookies.get(settings.CSRF_COOKIE_NAME)
    if csrf:
        headers["Cookie"] = "; ".join(filter(None, [cookie, f"{settings.CSRF_COOKIE_NAME}={csrf}"]))
    second = httpx.get(base + url, headers=headers)
    second.raise_for_status()
    return headers, second.headers.get("ETag", "")


def rate(base: str, url: str, headers: dict[str, str], seconds: float = SECONDS) -> float:
    result = servers.wrk(base + url, seconds=seconds, connections=CONNECTIONS, headers=headers)
    if result.non_2xx_3xx or result.errors:
        raise RuntimeError(
            f"{url}: {result.non_2xx_3xx} bad answers, {result.errors} errors\n{result.output}"
        )
    return result.requests_per_second


def ratios(base: str, cookie: str, label: str) -> list[Figure]:
    figures = []
    for url, baseline, signed_in in PAGES:
        headers, etag = browser_headers(base, url, cookie if signed_in else "")
        base_headers, _ = browser_headers(base, baseline, cookie if signed_in else "")
        rate(base, url, headers, seconds=min(SECONDS, 1))  # warm up: workers, connections, cache
        before = rate(base, baseline, base_headers)
        page = rate(base, url, headers)
        after = rate(base, baseline, base_headers)
        trivial = (before + after) / 2
        figures.append(
            Figure(
                f"`{url}` {label}",
                page / trivial,
                "×",
                goal=GOAL_UP if label == "cache up" else GOAL_DOWN,
                detail=f"{page:,.0f} req/s vs `{baseline}` {trivial:,.0f} req/s",
            )
        )
        if label == "cache up" and not QUICK:
            revalidate = rate(base, url, headers | {"If-None-Match": etag})
            figures.append(
                Figure(
                    f"`{url}` 304 revalidation",
                    revalidate / trivial,
                    "×",
                    detail=f"{revalidate:,.0f} req/s of 304 answers vs `{baseline}` {trivial:,.0f} req/s",
                )
            )
    return figures


def cold_renders(executive: User) -> list[Figure]:
    """One user with nothing cached: median of five renders in a fresh cache key space."""
    client = Client()
    client.force_login(executive)
    cache = settings.CACHES["default"]
    figures = []
    for url, _, _ in PAGES:
        times, queries, size = [], 0, 0
        for _ in range(COLD_REQUESTS):
            fresh = {"default": {**cache, "KEY_PREFIX": f"cold-{uuid.uuid4().hex}"}}
            kit_cache.clear_local_caches()  # nothing kept in this process either
            with override_settings(CACHES=fresh), Queries() as counted:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries, size = len(counted), len(response.content)
        conditional = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code
        figures.append(
            Figure(
                f"`{url}` cold render (one user)",
                statistics.median(times),
                "ms",
                goal=GOAL_COLD_MS if url == "/status/" else "",
                detail=f"{queries} queries, {size / 1024:,.0f} KiB; a repeat with its ETag answers {conditional}",
            )
        )
        figures.append(
            Figure(f"`{url}` answers 304 to its ETag", float(conditional == 304), "", goal="== 1")
        )
    return figures


def main() -> None:
    seed_start = time.perf_counter()
    executive, _ = seed()
    seed_s = time.perf_counter() - seed_start
    cookie = session_cookie(executive)
    figures = cold_renders(executive)
    up, base = servers.gunicorn(workers=2, env=servers.bench_env(), name="web-cache-up")
    try:
        figures += ratios(base, cookie, "cache up")
    finally:
        up.stop()
    nowhere = f"redis://127.0.0.1:{servers.free_port()}/0"
    down, base = servers.gunicorn(
        workers=2, env=servers.bench_env(REDIS_URL=nowhere), name="web-cache-down"
    )
    try:
        figures += ratios(base, cookie, "cache down")
    finally:
        down.stop()
    report(
        "Status pages",
        f"{INCIDENTS} active incidents (half with published executive and customer updates), "
        f"{POINTS:,} metric points over {MODELS} models (seeded in {seed_s:.0f} s). gunicorn with 2 sync "
        f"workers; `wrk -t2 -c{CONNECTIONS} -d{SECONDS:g}s` per run; each page's rate is divided by the mean "
        "rate of its baseline (a trivial view of the same auth kind on the same server: `/bench/trivial-user/` "
        "loads the session and the user, `/bench/trivial/` does nothing) measured just before and after it. "
        "Requests carry what a browser sends on its second visit (session and CSRF cookies). *Cache down*: "
        "a second gunicorn whose REDIS_URL names a port where nothing listens (connection refused, as when "
        "Redis is stopped). *304*: the page's ETag sent back as If-None-Match (full set only). *Cold render*: in-process, "
        "a fresh cache key space each time, median of five.",
        figures,
        order=10,
    )


if __name__ == "__main__":
    main()
