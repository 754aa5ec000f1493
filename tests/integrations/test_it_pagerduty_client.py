"""PagerDuty's own Python client (`pagerduty`, the maintained successor of `pdpyras`) talks to our live server.

`EventsApiV2Client(routing_key, base_url=…)` posts to `<base_url>/v2/enqueue`;
we give it `<live server>/api/v1/integrations/pagerduty` as in
docs/integrations.md. The library refuses a base URL that is not https://
(its `url` setter raises UrlError) and the test server speaks plain HTTP, so
the client gets an httpx2 transport that sends its requests, unchanged but
for the scheme, to the live server over a real socket. Nothing else is
patched: the events, headers and our answers are what the library makes and
reads.
"""

from __future__ import annotations

import json

import httpx2
import pagerduty
import pytest

from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident
from integrations.models import AlertEvidence, IntegrationKey


class PlainHttp(httpx2.BaseTransport):
    """Send each request over plain HTTP to the same host and port; record what was sent."""

    def __init__(self) -> None:
        self.inner = httpx2.HTTPTransport()
        self.sent: list[httpx2.Request] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent.append(request)
        request.url = request.url.copy_with(scheme="http")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def client_for(live_server):  # type: ignore[no-untyped-def]
    transports: list[PlainHttp] = []

    def make(routing_key: str) -> tuple[pagerduty.EventsApiV2Client, PlainHttp]:
        transport = PlainHttp()
        transports.append(transport)
        base_url = live_server.url.replace("http://", "https://") + "/api/v1/integrations/pagerduty"
        # As in docs/integrations.md, plus the transport (the only test-specific argument).
        return pagerduty.EventsApiV2Client(
            routing_key, base_url=base_url, transport=transport
        ), transport

    yield make
    for transport in transports:
        transport.close()


def test_trigger_acknowledge_resolve_through_the_pagerduty_library(client_for, fraud_model):
    key, raw = IntegrationKey.issue(name="pd-library", kind="pagerduty")
    client, transport = client_for(raw)

    dedup_key = client.trigger(
        "Fraud FP rate 6.2 %",
        "fraud-exporter",
        severity="critical",
        custom_details={"model": "fraud-scoring"},
    )
    assert len(dedup_key) == 32  # none was sent: ours came back and the library returned it
    incident = Incident.objects.get()
    assert incident.dedup_key == f"pagerduty:{dedup_key}"
    assert (
        incident.severity == 1
        and incident.title == "Fraud FP rate 6.2 %"
        and incident.phase == "declared"
    )
    assert list(incident.affected_models.values_list("slug", flat=True)) == ["fraud-scoring"]

    assert client.acknowledge(dedup_key) == dedup_key
    assert client.resolve(dedup_key) == dedup_key
    incident.refresh_from_db()
    assert incident.phase == "recovered"
    assert list(
        AlertEvidence.objects.filter(incident=incident).values_list("status", flat=True)
    ) == ["trigger", "acknowledge", "resolve"]
    summaries = list(
        DecisionLogEntry.objects.filter(incident=incident, kind="alert").values_list(
            "summary", flat=True
        )
    )
    assert summaries == [
        "1 alert(s) firing: Fraud FP rate 6.2 %",
        "Acknowledged in pagerduty",
        "Resolved in PagerDuty",
    ]

    # What went over the wire is the library's own request to <base>/v2/enqueue.
    assert [r.url.path for r in transport.sent] == ["/api/v1/integrations/pagerduty/v2/enqueue"] * 3
    assert all(r.headers["User-Agent"].startswith("python-pagerduty/") for r in transport.sent)
    bodies = [json.loads(r.content) for r in transport.sent]
    assert [b["event_action"] for b in bodies] == ["trigger", "acknowledge", "resolve"]
    assert {b["routing_key"] for b in bodies} == {
        raw
    }  # the key travels in the body, as PagerDuty's does
    assert (
        "dedup_key" not in bodies[0]
        and bodies[1]["dedup_key"] == bodies[2]["dedup_key"] == dedup_key
    )
    assert set(AlertEvidence.objects.values_list("key_id", flat=True)) == {key.pk}


def test_a_trigger_with_its_own_dedup_key_and_a_repeat_update_one_incident(client_for):
    _, raw = IntegrationKey.issue(name="pd-library", kind="pagerduty")
    client, _ = client_for(raw)
    assert client.trigger(
        "Latency p99 over 2 s", "scorer-1", dedup_key="scorer-1/latency", severity="warning"
    ) == ("scorer-1/latency")
    assert client.trigger(
        "Latency p99 over 4 s", "scorer-1", dedup_key="scorer-1/latency", severity="error"
    ) == ("scorer-1/latency")
    incident = Incident.objects.get()
    assert incident.dedup_key == "pagerduty:scorer-1/latency"
    assert incident.severity == 2  # raised by the second, more severe trigger
    assert AlertEvidence.objects.filter(incident=incident).count() == 2


def test_our_errors_reach_the_library_in_pagerdutys_shape(client_for):
    client, _ = client_for("icc_pa_not-a-key")
    with pytest.raises(pagerduty.HttpError) as raised:
        client.trigger("x", "y")
    assert raised.value.response.status_code == 400
    assert raised.value.response.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Invalid routing key"],
    }
    assert not Incident.objects.exists()
