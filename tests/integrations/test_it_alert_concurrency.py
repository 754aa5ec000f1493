"""Concurrent deliveries of one alert group open one incident (PostgreSQL's unique index decides)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django.db import connection

from incidents.models import Incident
from integrations import services
from integrations.models import AlertEvidence, IntegrationKey
from integrations.views import parse_alert_group

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.django_db(transaction=True)
def test_concurrent_firing_deliveries_open_one_incident(postgres_only):
    key, _ = IntegrationKey.issue(name="am", kind="alertmanager")
    body = json.loads((FIXTURES / "alertmanager_firing.json").read_text())
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    results, errors = [], []

    def deliver() -> None:
        try:
            group = parse_alert_group(body, version="4", source="alertmanager")
            barrier.wait()
            results.append(services.ingest_alert_group(key=key, source="alertmanager", **group))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Incident.objects.count() == 1
    assert sum(r.opened for r in results) == 1
    assert {r.incident.pk for r in results} == {Incident.objects.get().pk}
    assert AlertEvidence.objects.count() == threads_n
