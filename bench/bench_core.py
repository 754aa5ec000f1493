"""Context figures of the core: chain verification and two list endpoints, in-process.

Run by `make bench` (bench/run.py) on a scratch database (benchkit). The
concurrent appends have their own script with a goal (bench_decision_log.py).
"""

from __future__ import annotations

import os
import time

from benchkit import QUICK, Figure, Queries, report, setup_django

setup_django("icc-bench-core-")

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from api.models import ApiToken  # noqa: E402
from comms.workflows import declare_incident  # noqa: E402
from incidents.decision_log.verify import verify_chain  # noqa: E402
from incidents.decisions import add_note  # noqa: E402

APPENDS = int(os.environ.get("BENCH_APPENDS", "300" if QUICK else "2000"))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "50" if QUICK else "200"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50" if QUICK else "200"))


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

    for i in range(APPENDS):
        add_note(incident=incident, by=user, text=f"note {i}")
    start = time.perf_counter()
    chain = verify_chain(incident.pk)
    verify_s = time.perf_counter() - start
    assert chain.valid

    for i in range(INCIDENTS):
        declare_incident(by=user, title=f"Incident {i}", severity=1 + i % 4)
    _, raw = ApiToken.issue(user=user, name="bench")
    client = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    with Queries() as queries:
        assert client.get("/api/v1/incidents/").status_code == 200
    list_s = timed(lambda i: client.get("/api/v1/incidents/"), REQUESTS)
    log_s = timed(lambda i: client.get(f"/api/v1/incidents/{incident.pk}/log/"), REQUESTS)
    report(
        "Chain verification and API lists",
        "Context figures (no goals): verifying one incident's chain end to end, and two list endpoints "
        f"served in-process (Django test client, no HTTP server) with {INCIDENTS + 1} incidents, "
        f"{REQUESTS} requests each.",
        [
            Figure(
                f"chain verification ({chain.entries:,} entries)",
                chain.entries / verify_s,
                "entries/s",
            ),
            Figure(
                f"GET /api/v1/incidents/ (page of 50 of {INCIDENTS + 1})",
                REQUESTS / list_s,
                "req/s",
                detail=f"{len(queries)} queries",
            ),
            Figure("GET /api/v1/incidents/{id}/log/ (page of 50)", REQUESTS / log_s, "req/s"),
        ],
        order=70,
    )


if __name__ == "__main__":
    main()
