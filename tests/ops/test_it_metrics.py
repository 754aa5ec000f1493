"""/metrics: who may scrape it, the request figures and the domain's, in a constant number of queries."""

from __future__ import annotations

import ipaddress
import math
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from comms import cadence_tick
from comms.models import Deadline, Delivery
from console import heartbeats
from incidents.choices import OPEN_PHASES
from incidents.decision_log.models import DecisionLogEntry
from integrations.models import AlertEvidence
from tests.builders import declare

TOKEN = "metrics-token-0123456789abcdef"
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    cache.delete_many([heartbeats.WORKER_KEY, heartbeats.BEAT_KEY])
    return settings


def samples(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample by name, then by its sorted labels."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def scrape(client) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = client.get("/metrics", **BEARER)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    return samples(response.content.decode())


def value(found, name: str, **labels: str) -> float:
    return found[name][tuple(sorted(labels.items()))]


# --- Who may scrape ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_the_token_or_an_allowed_network_it_is_403(client, settings):
    for headers in (
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong-token-0123456789abcdef"},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}x"},
        {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"},
        {"HTTP_AUTHORIZATION": TOKEN},
    ):
        response = client.get("/metrics", **headers)
        assert response.status_code == 403, headers
        assert b"METRICS_TOKEN" in response.content
        assert b"icc_" not in response.content
    settings.METRICS_TOKEN = ""  # no token configured: an empty bearer is no key
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer").status_code == 403


@pytest.mark.django_db
def test_the_token_opens_it_and_the_path_has_no_slash_redirect(client):
    response = client.get("/metrics", **BEARER)
    assert response.status_code == 200  # not a 301 to /metrics/
    assert b"# TYPE icc_incidents_open gauge" in response.content
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"bearer {TOKEN}").status_code == 200
    assert client.head("/metrics", **BEARER).status_code == 200
    assert client.post("/metrics", **BEARER).status_code == 405


@pytest.mark.django_db
def test_an_allowed_network_opens_it_by_the_peer_address_never_a_forwarded_header(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.1").status_code == 403
    # The attack: an outsider claiming to be inside through the proxy headers.
    spoofed = {"HTTP_X_FORWARDED_FOR": "10.20.3.4", "HTTP_X_REAL_IP": "10.20.3.4"}
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", **spoofed).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="not an address").status_code == 403


@pytest.mark.parametrize(
    ("variable", "bad"),
    [("METRICS_TOKEN", "short"), ("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8,intranet")],
)
def test_a_bad_setting_stops_the_process_naming_it(variable, bad):
    result = subprocess.run(  # noqa: S603  our own settings
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "console.settings",
            "SECRET_KEY": "x" * 50,
            "PATH": "/usr/bin:/bin",
            variable: bad,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable}" in result.stderr


# --- The communication metrics page moved -------------------------------------------------------


@pytest.mark.django_db
def test_the_old_page_address_sends_signed_in_users_to_the_new_one(client, commander):
    response = client.get("/metrics/?severity=1")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(commander)
    response = client.get("/metrics/?severity=1&model=fraud")
    assert response.status_code == 301
    assert response["Location"] == "/communication-metrics/?severity=1&model=fraud"
    response = client.get("/metrics/communication.csv")
    assert response.status_code == 301
    assert response["Location"] == "/communication-metrics/communication.csv"
    assert client.get("/communication-metrics/").status_code == 200


# --- Requests -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_and_timed_by_view_name(client):
    before = scrape(client)

    def count(found, view: str, method: str, status: str) -> float:
        return found["icc_http_requests_total"].get(
            (("method", method), ("status", status), ("view", view)), 0.0
        )

    def timed(found, view: str) -> float:
        return found["icc_http_request_duration_seconds_count"].get(
            (("method", "GET"), ("view", view)), 0.0
        )

    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/no/such/page/").status_code == 404
    assert client.generic("BREW", "/healthz").status_code == 405
    after = scrape(client)
    assert count(after, "healthz", "GET", "200") - count(before, "healthz", "GET", "200") == 3
    assert timed(after, "healthz") - timed(before, "healthz") == 3
    assert (
        count(after, "<unmatched>", "GET", "404") - count(before, "<unmatched>", "GET", "404") == 1
    )
    assert count(after, "healthz", "other", "405") - count(before, "healthz", "other", "405") == 1
    # The scrape itself is a request like any other, under the view's name.
    assert count(after, "prometheus-metrics", "GET", "200") >= 1
    assert not any("/no/such" in str(labels) for labels in after["icc_http_requests_total"])


# --- The domain ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_domain_figures_are_the_databases(client, commander, fraud_model):
    now = timezone.now()
    real = declare(commander, fraud_model, severity=1)
    drill = declare(commander, fraud_model, severity=2, is_drill=True, title="Drill")
    deadlines = list(Deadline.objects.open().filter(incident=real).order_by("audience"))
    assert len(deadlines) >= 3, [d.audience for d in deadlines]
    late, recent, escalated = deadlines[:3]
    # Due 30 min ago: past the 10-minute grace, neither reminded nor escalated.
    Deadline.objects.filter(pk=late.pk).update(due_at=now - timedelta(minutes=30))
    # Due 5 min ago: its reminder is late, its escalation not yet due.
    Deadline.objects.filter(pk=recent.pk).update(due_at=now - timedelta(minutes=5))
    # Due 30 min ago, reminded and escalated: nothing is owed.
    Deadline.objects.filter(pk=escalated.pk).update(
        due_at=now - timedelta(minutes=30),
        reminded_at=now - timedelta(minutes=29),
        escalated_at=now - timedelta(minutes=20),
        escalation_step=1,
    )

    def delivery(channel: str, status: str, created: float, next_attempt: float, **extra):
        Delivery.objects.create(
            kind=Delivery.Kind.TEST,
            channel=channel,
            status=status,
            created_at=now - timedelta(seconds=created),
            next_attempt_at=now - timedelta(seconds=next_attempt),
            **extra,
        )

    delivery("webhook", "pending", created=600, next_attempt=120)  # due, nobody on it: waiting
    delivery("webhook", "pending", created=1200, next_attempt=-300)  # backing off: not waiting
    delivery("slack", "pending", created=900, next_attempt=800, claimed_until=now + timedelta(1))
    delivery("email", "failed", created=5000, next_attempt=4000)
    delivery("email", "failed", created=4000, next_attempt=3000)
    delivery("email", "delivered", created=100, next_attempt=100)
    for source, n in (("alertmanager", 2), ("pagerduty", 1)):
        for i in range(n):
            AlertEvidence.objects.create(
                incident=real, source=source, group_key=f"g{i}", status="firing", received_at=now
            )
    cache.set(heartbeats.WORKER_KEY, time.time() - 5)

    found = scrape(client)

    assert value(found, "icc_domain_up") == 1 and value(found, "icc_redis_up") == 1
    open_incidents = found["icc_incidents_open"]
    assert value(found, "icc_incidents_open", severity="1", phase=real.phase, drill="false") == 1
    assert value(found, "icc_incidents_open", severity="2", phase=drill.phase, drill="true") == 1
    assert sum(open_incidents.values()) == 2
    assert len(open_incidents) == 4 * len(OPEN_PHASES) * 2  # every severity, phase, drill flag

    assert value(found, "icc_deadlines_overdue_unescalated") == 1
    assert value(found, "icc_deadlines_due_unreminded") == 2
    assert 1800 <= value(found, "icc_reminder_lag_seconds") < 1800 + 60

    assert value(found, "icc_deliveries", channel="webhook", status="pending") == 2
    assert value(found, "icc_deliveries", channel="slack", status="pending") == 1
    assert value(found, "icc_deliveries", channel="email", status="failed") == 2
    assert value(found, "icc_deliveries", channel="email", status="pending") == 0
    assert value(found, "icc_deliveries", channel="inapp", status="failed") == 0
    assert (
        1200 <= value(found, "icc_deliveries_oldest_pending_age_seconds", channel="webhook") < 1260
    )
    assert 120 <= value(found, "icc_deliveries_waiting_seconds", channel="webhook") < 180
    assert value(found, "icc_deliveries_waiting_seconds", channel="slack") == 0  # leased
    assert value(found, "icc_deliveries_oldest_pending_age_seconds", channel="email") == 0

    assert value(found, "icc_decision_log_entries_total") == DecisionLogEntry.objects.count() > 0
    assert value(found, "icc_alerts_received_total", source="alertmanager") == 2
    assert value(found, "icc_alerts_received_total", source="pagerduty") == 1
    assert value(found, "icc_alerts_received_total", source="grafana") == 0

    assert 5 <= value(found, "icc_worker_heartbeat_age_seconds") < 60
    assert value(found, "icc_beat_heartbeat_age_seconds") == math.inf  # never ticked
    assert value(found, "icc_beat_heartbeat_max_age_seconds") == heartbeats.beat_max_age()

    # The cadence tick does what the figures say is owed; then nothing is.
    cadence_tick.run_due(now=timezone.now())
    found = scrape(client)
    assert value(found, "icc_deadlines_overdue_unescalated") == 0
    assert value(found, "icc_deadlines_due_unreminded") == 0
    assert value(found, "icc_reminder_lag_seconds") == 0
    assert value(found, "icc_decision_log_entries_total") == DecisionLogEntry.objects.count()


@pytest.mark.django_db
def test_redis_down_is_a_figure_not_a_failed_scrape(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    found = scrape(client)
    assert value(found, "icc_redis_up") == 0
    assert value(found, "icc_worker_heartbeat_age_seconds") == math.inf
    assert value(found, "icc_domain_up") == 1


@pytest.mark.django_db
def test_a_scrape_costs_the_same_queries_for_few_and_many_rows(client, commander, fraud_model):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            scrape(client)
        return len(captured)

    def grow(n: int) -> None:
        now = timezone.now()
        for i in range(n):
            incident = declare(commander, fraud_model, severity=1 + i % 4, title=f"i{i}")
            Deadline.objects.filter(incident=incident).update(due_at=now - timedelta(hours=1))
            Delivery.objects.create(
                kind=Delivery.Kind.TEST, channel="webhook", created_at=now, next_attempt_at=now
            )

    grow(1)
    few = queries()
    grow(12)
    assert queries() == few


@pytest.mark.django_db
def test_the_operations_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    metrics = schema["paths"]["/metrics"]["get"]
    assert set(metrics["responses"]) == {"200", "403"}
    assert {"metricsToken": []} in metrics["security"]
    assert schema["components"]["securitySchemes"]["metricsToken"]["scheme"] == "bearer"
    assert set(schema["paths"]["/readyz"]["get"]["responses"]) == {"200", "503"}
    assert "/healthz" in schema["paths"]
