"""Concurrent deliveries of one alert group open one incident (PostgreSQL's unique index decides)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incidents.models import Incident
from integrations import services
from integrations.models import AlertEvidence, IntegrationKey
from integrations.views import parse_alert_group
from tests.helpers import race

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.django_db(transaction=True)
def test_concurrent_firing_deliveries_open_one_incident(postgres_only):
    key, _ = IntegrationKey.issue(name="am", kind="alertmanager")
    body = json.loads((FIXTURES / "alertmanager_firing.json").read_text())
    threads_n = 6

    def deliver():  # type: ignore[no-untyped-def]
        group = parse_alert_group(
            body, version="4", source="alertmanager"
        )  # each delivery parses its own
        return services.ingest_alert_group(key=key, source="alertmanager", **group)

    results = race(deliver, threads=threads_n)
    assert Incident.objects.count() == 1
    assert sum(r.opened for r in results) == 1
    assert {r.incident.pk for r in results} == {Incident.objects.get().pk}
    assert AlertEvidence.objects.count() == threads_n
