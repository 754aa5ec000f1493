"""Benchmarks of the core: decision-log appends, chain verification, list endpoints.

Run with `make bench` (or `python bench/bench_core.py`). Uses a scratch
database: SQLite in a temporary folder unless BENCH_DATABASE_URL names
another (e.g. a PostgreSQL database that may be emptied). Writes the figures
to docs/benchmarks.md with the command that produced them.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
scratch = tempfile.mkdtemp(prefix="icc-bench-")
os.environ["DATABASE_URL"] = (
    os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{scratch}/bench.sqlite3"
)
os.environ.setdefault("DEMO", "1")
os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from api.models import ApiToken  # noqa: E402
from comms.workflows import declare_incident  # noqa: E402
from incidents.decision_log.verify import verify_chain  # noqa: E402
from incidents.decisions import add_note  # noqa: E402

APPENDS = int(os.environ.get("BENCH_APPENDS", "2000"))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "200"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def timed(fn, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return time.perf_counter() - start


def main() -> None:
    call_command("migrate", verbosity=0)
    groups = [Group.objects.get_or_create(name=n)[0] for n in ("commander-eligible", "responder")]
    user, _ = User.objects.get_or_create(username="bench")
    user.groups.set(groups)
    incident = declare_incident(by=user, title="Benchmark incident", severity=2)

    append_s = timed(lambda i: add_note(incident=incident, by=user, text=f"note {i}"), APPENDS)
    start = time.perf_counter()
    report = verify_chain(incident.pk)
    verify_s = time.perf_counter() - start
    assert report.valid

    for i in range(INCIDENTS):
        declare_incident(by=user, title=f"Incident {i}", severity=1 + i % 4)
    _, raw = ApiToken.issue(user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    queries: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)
    ):
        assert client.get("/api/v1/incidents/").status_code == 200
    list_s = timed(lambda i: client.get("/api/v1/incidents/"), REQUESTS)
    log_s = timed(lambda i: client.get(f"/api/v1/incidents/{incident.pk}/log/"), REQUESTS)

    rows = [
        (
            "decision-log appends (one transaction each, row lock)",
            f"{APPENDS / append_s:,.0f} entries/s",
        ),
        (
            f"chain verification ({report.entries} entries)",
            f"{report.entries / verify_s:,.0f} entries/s",
        ),
        (
            f"GET /api/v1/incidents/ (page of 50 of {INCIDENTS + 1}, in-process)",
            f"{REQUESTS / list_s:,.0f} req/s, {len(queries)} queries",
        ),
        (
            "GET /api/v1/incidents/{id}/log/ (page of 50, in-process)",
            f"{REQUESTS / log_s:,.0f} req/s",
        ),
    ]
    vendor = connection.vendor
    command = "make bench" + (
        " (BENCH_DATABASE_URL=postgres://…)" if vendor == "postgresql" else ""
    )
    out = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.python_implementation()} "
        f"{platform.python_version()}, {vendor}, {os.cpu_count()} cores. In-process figures use Django's test "
        "client (no HTTP server), so they measure our code and the database, not the network. The machines "
        "are shared and noisy: read the figures as orders of magnitude.",
        "",
        "| what | figure |",
        "|---|---|",
        *[f"| {what} | {figure} |" for what, figure in rows],
        "",
    ]
    target = ROOT / "docs" / "benchmarks.md"
    target.write_text("\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()
