"""Uptime history: 90 daily worst states per component, from incidents and maintenance, constant queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from comms import workflows
from incidents.choices import Phase
from incidents.models import Incident, Milestone
from publicstatus.components import public_components
from publicstatus.maintenance import complete_maintenance, start_maintenance
from publicstatus.uptime import DAYS, histories
from tests.builders import announced_maintenance, declare, publish_renditions, resolve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def states(model, now=NOW) -> dict[str, str]:
    history = histories(public_components(), now=now)[model.pk]
    assert len(history.days) == DAYS and history.days[-1].day == now.date()
    return {d.day.isoformat(): d.state for d in history.days if d.state != "operational"}


def published_incident(commander, responder, model, *, severity, detected, resolved=None):
    incident = declare(commander, model, severity=severity)
    publish_renditions(incident, commander, responder, customer={"summary": "Slow."})
    if resolved:
        incident = resolve(incident, commander)
    Incident.objects.filter(pk=incident.pk).update(detected_at=detected, resolved_at=resolved)
    return incident


def test_an_incident_marks_each_day_it_was_open_at_its_severity(commander, responder, fraud_model):
    published_incident(
        commander,
        responder,
        fraud_model,
        severity=2,
        detected=datetime(2026, 12, 1, 23, 0, tzinfo=UTC),
        resolved=datetime(2026, 12, 3, 0, 30, tzinfo=UTC),
    )
    assert states(fraud_model) == {
        "2026-12-01": "partial_outage",
        "2026-12-02": "partial_outage",
        "2026-12-03": "partial_outage",
    }


def test_containment_and_recovery_lower_the_days_after(commander, responder, fraud_model):
    incident = published_incident(
        commander,
        responder,
        fraud_model,
        severity=1,
        detected=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
    )
    for phase, at in [(Phase.CONTAINED, 29), (Phase.RECOVERED, 30)]:
        workflows.reach_milestone(incident=incident, phase=phase, indicator="ok", by=commander)
        Milestone.objects.filter(incident=incident, phase=phase).update(
            reached_at=datetime(2026, 11, at, 12, 0, tzinfo=UTC)
        )
    assert states(fraud_model) == {
        "2026-11-28": "major_outage",
        "2026-11-29": "major_outage",  # the worst of the day: contained at noon
        "2026-11-30": "degraded_performance",  # recovered at noon, operational after
    }


def test_the_worst_of_a_day_wins_and_maintenance_counts(commander, responder, fraud_model, clock):
    clock.now = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    maintenance = announced_maintenance(commander, fraud_model, hours_ahead=0)
    start_maintenance(maintenance, by=commander)
    clock.advance(hours=25)
    complete_maintenance(maintenance, by=commander)
    published_incident(
        commander,
        responder,
        fraud_model,
        severity=3,
        detected=datetime(2026, 12, 5, 7, 0, tzinfo=UTC),
    )
    assert states(fraud_model, now=clock.now) == {
        "2026-12-04": "under_maintenance",
        "2026-12-05": "degraded_performance",
    }


def test_old_drills_and_unpublished_incidents_leave_no_mark(commander, responder, fraud_model):
    drill = declare(commander, fraud_model, severity=1, is_drill=True)
    publish_renditions(drill, commander, responder, customer={"summary": "DRILL"})
    declare(commander, fraud_model, severity=1)  # no customer rendition
    published_incident(
        commander,
        responder,
        fraud_model,
        severity=1,
        detected=NOW - timedelta(days=120),
        resolved=NOW - timedelta(days=DAYS + 1),
    )
    assert states(fraud_model, now=NOW) == {}


def test_the_page_shows_a_bar_per_day_with_text(client, commander, responder, fraud_model):
    published_incident(
        commander,
        responder,
        fraud_model,
        severity=1,
        detected=datetime.now(UTC) - timedelta(hours=1),
    )
    html = client.get("/status/public/").content.decode()
    bars = re.findall(r'<li class="uptime-day state-(\w+)" title="[^"]+">', html)
    assert len(bars) == DAYS and bars[-1] == "major_outage" and set(bars[:-1]) == {"operational"}
    assert (
        "Last 90 days: 89 of 90 days without incident or maintenance; worst: major outage." in html
    )
    assert re.search(r'<span class="visually-hidden">\d+ \w+ \d{4}: Major outage</span>', html)
    assert not re.search(r"\sstyle=", html)


@pytest.mark.parametrize("incidents", [3, 30])
def test_three_queries_whatever_the_history(
    commander, responder, fraud_model, credit_model, incidents, django_assert_num_queries
):
    for i in range(incidents):
        incident = published_incident(
            commander,
            responder,
            fraud_model if i % 2 else credit_model,
            severity=1 + i % 4,
            detected=NOW - timedelta(days=i * 2),
        )
        workflows.reach_milestone(
            incident=incident, phase=Phase.CONTAINED, indicator="ok", by=commander
        )
        start_maintenance(
            announced_maintenance(commander, fraud_model, hours_ahead=0), by=commander
        )
    comps = public_components()
    with django_assert_num_queries(3):
        result = histories(comps, now=NOW)
    assert set(result) == {fraud_model.pk, credit_model.pk}
