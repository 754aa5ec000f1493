"""End to end: the real Prometheus scrapes /metrics, and a shipped alert pages the console itself.

1. Prometheus (Debian `prometheus`) on loopback scrapes `live_server`'s /metrics
   with the bearer token, as docs/operations.md configures it, and the open SEV1
   comes back through its HTTP API.
2. With deploy/prometheus/rules.yml loaded and a real Alertmanager whose webhook
   is our own Alertmanager intake: a real Celery worker runs (no alert), then it
   is stopped, and "no worker" fires through Prometheus's rule evaluation,
   reaches Alertmanager and opens an incident in the console.

Waiting a minute for the stopped worker's heartbeat to go stale would make the
test slow, not truer: the heartbeat is a timestamp in Redis, so once the worker
has stopped (it can no longer write) the test moves the last one back by two
minutes: what a minute of waiting would do. Every other wait polls with a deadline.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from console import heartbeats
from incidents.models import Incident
from integrations.models import AlertEvidence, IntegrationKey
from tests.builders import declare
from tests.fixtures.alertmanager import ICC_RECEIVER
from tests.helpers import wait_until

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "rules.yml"
TOKEN = "prometheus-scrape-token-0123456789"
TIMEOUT = 60.0

# The scrape job docs/operations.md shows, with a one-second interval for the test.
SCRAPE = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: icc
    metrics_path: /metrics
    scheme: http
    authorization:
      type: Bearer
      credentials: {token}
    static_configs:
      - targets: ["{target}"]
"""

ALERTING = """\
rule_files:
  - {rules}
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["{alertmanager}"]
"""


@pytest.fixture
def scraped(settings, live_server):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    return SCRAPE.format(token=TOKEN, target=urlsplit(live_server.url).netloc)


def test_prometheus_scrapes_the_domain_figures(scraped, prometheus_factory, commander, fraud_model):
    declare(commander, fraud_model, severity=1)
    prometheus = prometheus_factory(scraped)

    def scraped_up() -> list:
        return [r for r in prometheus.query('up{job="icc"}') if r["value"][1] == "1"]

    wait_until(scraped_up, timeout=TIMEOUT, what=f"a successful scrape ({prometheus.log})")
    result = wait_until(
        lambda: prometheus.query('sum(icc_incidents_open{severity="1", drill="false"})'),
        timeout=TIMEOUT,
        what="icc_incidents_open in Prometheus",
    )
    assert result[0]["value"][1] == "1"
    (target,) = prometheus.api("targets")["activeTargets"]
    assert target["health"] == "up" and target["lastError"] == ""


def test_a_stopped_worker_fires_no_worker_and_pages_the_console(
    settings,
    scraped,
    celery_redis,
    celery_worker_process,
    prometheus_factory,
    alertmanager_factory,
    live_server,
):
    # The live server reads the heartbeats where the worker writes them.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": celery_redis.url,
            "KEY_PREFIX": "icc",  # the worker's (CACHE_KEY_PREFIX unset)
            "OPTIONS": {"serializer": "console.cache_serializer.JSONSerializer"},
        }
    }
    _, key = IntegrationKey.issue(name="prometheus-e2e", kind="alertmanager")
    alertmanager = alertmanager_factory(
        ICC_RECEIVER.format(url=f"{live_server.url}/api/v1/integrations/alertmanager/", key=key)
    )
    prometheus = prometheus_factory(
        scraped + ALERTING.format(rules=RULES, alertmanager=urlsplit(alertmanager.url).netloc)
    )
    rules = wait_until(
        lambda: prometheus.api("rules")["groups"], timeout=TIMEOUT, what="the rules loaded"
    )
    assert {rule["name"] for rule in rules[0]["rules"]} >= {"IccNoWorker", "IccBeatNotTicking"}

    # The worker is up: Prometheus sees a fresh heartbeat and no alert.
    wait_until(
        lambda: prometheus.query("icc_worker_heartbeat_age_seconds < 60"),
        timeout=TIMEOUT,
        what="a fresh worker heartbeat in Prometheus",
    )
    assert not prometheus.query('ALERTS{alertname="IccNoWorker"}')

    celery_worker_process.stop()
    cache.set(heartbeats.WORKER_KEY, time.time() - 120, timeout=3600)

    def paged() -> Incident | None:
        return Incident.objects.filter(source="alert", title__startswith="IccNoWorker").first()

    incident = wait_until(
        paged,
        timeout=TIMEOUT,
        what=f"the IccNoWorker incident (prometheus: {prometheus.log}, alertmanager: {alertmanager.log})",
    )
    assert incident.severity == 1  # severity: critical
    evidence = AlertEvidence.objects.get(incident=incident)
    assert evidence.source == "alertmanager" and evidence.status == "firing"
    assert evidence.labels["alertname"] == "IccNoWorker"
    assert evidence.labels["job"] == "icc"
    assert evidence.labels["service"] == "incident-command-console"
    assert evidence.annotations["summary"].startswith("No Celery worker")
    firing = prometheus.query('ALERTS{alertname="IccNoWorker", alertstate="firing"}')
    assert len(firing) == 1
