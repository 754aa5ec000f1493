"""/metrics and /readyz under gunicorn with several workers (prometheus-client's multiprocess mode).

Each gunicorn worker counts its own requests into PROMETHEUS_MULTIPROC_DIR; any
worker answering /metrics adds them all up. The test sends /healthz requests
until each of two workers has counted some (read from each worker's file
alone); then one scrape must report exactly the number sent, the sum of the
files, and the domain figures once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.builders import declare
from tests.fixtures.daemons import start_web
from tests.helpers import wait_until

pytestmark = [pytest.mark.postgres]

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
TOKEN = "multiprocess-token-0123456789"


@pytest.fixture
def gunicorn_two_workers(transactional_db, celery_redis, tmp_path):
    folder = tmp_path / "prometheus-multiproc"
    folder.mkdir()
    process, base = start_web(
        celery_redis,
        tmp_path,
        "gunicorn",
        workers=2,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        METRICS_TOKEN=TOKEN,
    )
    yield base, folder
    process.terminate()
    process.wait(20)


def test_requests_of_every_worker_add_up_and_the_domain_counts_once(
    postgres_only, gunicorn_two_workers, commander, fraud_model
):
    base, folder = gunicorn_two_workers
    declare(commander, fraud_model, severity=1)

    def scrape() -> dict:
        response = httpx.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert response.status_code == 200, response.text[:500]
        return {f.name: f for f in text_string_to_metric_families(response.text)}

    def healthz(families: dict) -> list:
        return [
            s
            for s in families["icc_http_requests"].samples
            if s.name == "icc_http_requests_total" and s.labels["view"] == "healthz"
        ]

    def healthz_by_worker() -> list[float]:
        """Each worker's own count, read from its file alone."""
        counts = []
        for path in folder.glob("counter_*.db"):
            merged = MultiProcessCollector.merge([str(path)], accumulate=True)
            families = {f.name: f for f in merged}
            if "icc_http_requests" in families:
                counts.append(sum(s.value for s in healthz(families)))
        return [c for c in counts if c]

    before = sum(s.value for s in healthz(scrape()))
    sent = 0

    def both_workers_counted() -> bool:
        nonlocal sent
        with httpx.Client() as fresh:  # a new connection each time: any worker may take it
            assert fresh.get(f"{base}/healthz", timeout=5).status_code == 200
        sent += 1
        return len(healthz_by_worker()) >= 2

    wait_until(both_workers_counted, timeout=60, what="/healthz counted by both workers")
    families = scrape()
    assert sum(s.value for s in healthz(families)) - before == sent
    assert sum(healthz_by_worker()) == before + sent  # the scrape's sum is the files' sum
    assert {s.labels["status"] for s in healthz(families)} == {"200"}
    open_sev1 = [
        s
        for s in families["icc_incidents_open"].samples
        if s.labels["severity"] == "1" and s.labels["drill"] == "false" and s.value
    ]
    assert [s.value for s in open_sev1] == [1.0]  # once, though two processes could answer

    ready = httpx.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 503  # no worker, no beat here: /readyz says so
    assert ready.json()["checks"]["database"]["ok"] is True
    assert ready.json()["checks"]["worker"]["ok"] is False
    assert httpx.get(f"{base}/metrics", timeout=10).status_code == 403
