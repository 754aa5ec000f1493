"""List endpoints run the same number of queries for 5 rows as for 50."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from glossary.services import create_term
from incidents.decisions import add_note, correct_entry
from incidents.models import ImpactRule, MetricPoint, MonitoredModel
from incidents.services import assign_role, declare_incident

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def fetch(user: User, url: str, django_assert_num_queries, expected: int) -> dict:
    client = APIClient()
    # A fresh user object: its group cache starts empty, as in a real request.
    client.force_authenticate(User.objects.get(pk=user.pk))
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response.json()


ROWS = [5, 50]


@pytest.mark.parametrize("rows", ROWS)
def test_incident_list(commander, fraud_model, django_assert_num_queries, rows):
    for i in range(rows):
        declare_incident(
            by=commander, title=f"I{i}", severity=1 + i % 4, models=[(fraud_model, f"v{i}")]
        )
    # groups, count, page, affected models, active roles
    body = fetch(commander, "/api/v1/incidents/", django_assert_num_queries, 5)
    assert len(body["results"]) == rows and body["results"][0]["commander"] == "cara"


@pytest.mark.parametrize("rows", ROWS)
def test_log_list(incident, commander, django_assert_num_queries, rows):
    notes = [
        add_note(incident=incident, by=commander, text=f"n{i}") for i in range(rows - 2 - rows // 5)
    ]
    for note in notes[: rows // 5]:
        correct_entry(incident=incident, entry=note, by=commander, text="fixed")
    # groups, incident, count, page (with corrected entries joined)
    body = fetch(commander, f"/api/v1/incidents/{incident.pk}/log/", django_assert_num_queries, 4)
    assert len(body["results"]) == rows
    assert sum(1 for e in body["results"] if e["corrects"]) == rows // 5


@pytest.mark.parametrize("rows", ROWS)
def test_role_list(incident, commander, commander2, responder, django_assert_num_queries, rows):
    holders = [responder, commander2]
    for i in range(rows - 1):  # the declaring commander's assignment is the first row
        assign_role(incident=incident, role="scribe", user=holders[i % 2], by=commander)
    # groups, incident, count, page
    body = fetch(commander, f"/api/v1/incidents/{incident.pk}/roles/", django_assert_num_queries, 4)
    assert len(body["results"]) == rows
    assert sum(1 for a in body["results"] if a["ended_at"] is None) == 2


@pytest.mark.parametrize("rows", ROWS)
def test_model_list(commander, django_assert_num_queries, rows):
    for i in range(rows):
        model = MonitoredModel.objects.create(
            name=f"M{i:02}", slug=f"m{i}", team="t", business_function="b", risk_tier=2
        )
        for metric in ("latency_p95", "error_rate"):
            ImpactRule.objects.create(model=model, metric=metric, baseline=1, unit_label="u")
    # groups, count, page, impact rules
    body = fetch(commander, "/api/v1/models/", django_assert_num_queries, 4)
    assert len(body["results"]) == rows and len(body["results"][0]["impact_rules"]) == 2


@pytest.mark.parametrize("rows", ROWS)
def test_metric_list(commander, fraud_model, django_assert_num_queries, rows):
    MetricPoint.objects.bulk_create(
        MetricPoint(model=fraud_model, metric="fp", timestamp=T0 + timedelta(minutes=i), value=i)
        for i in range(rows)
    )
    # groups, model, count, page
    body = fetch(commander, "/api/v1/models/fraud-scoring/metrics/", django_assert_num_queries, 4)
    assert len(body["results"]) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_term_list(commander, django_assert_num_queries, rows):
    previous = None
    for i in range(rows):
        previous = create_term(
            by=None,
            name=f"Term {i:02}",
            technical_definition="t",
            plain_definition="p",
            related=[previous] if previous else None,
        )
    # count, page, related terms (reading the glossary needs no group lookup)
    body = fetch(commander, "/api/v1/glossary/terms/", django_assert_num_queries, 3)
    assert len(body["results"]) == rows and body["results"][1]["related"]


@pytest.mark.parametrize("rows", [1, 5])
def test_milestone_list(incident, commander, django_assert_num_queries, rows):
    for phase in ["contained", "root_cause_identified", "recovered", "resolved", "reviewed"][:rows]:
        from incidents.services import reach_milestone

        reach_milestone(incident=incident, phase=phase, indicator="seen", by=commander)
    # groups, incident, count, page
    body = fetch(
        commander, f"/api/v1/incidents/{incident.pk}/milestones/", django_assert_num_queries, 4
    )
    assert len(body["results"]) == rows + 2


# --- Comms ---------------------------------------------------------------------------------


def _published_updates(incident, commander, rows: int, *, regulator: bool = False):
    from comms.models import Rendition, StatusUpdate

    updates = []
    for i in range(rows):
        update = StatusUpdate.objects.create(
            incident=incident,
            number=i + 1,
            what_changed=f"c{i}",
            author=commander,
            status="published",
            published_at=T0 + timedelta(minutes=i),
            published_by=commander,
        )
        Rendition.objects.create(update=update, audience="technical", summary=f"t{i}")
        Rendition.objects.create(
            update=update,
            audience="regulator",
            summary=f"r{i}",
            signed_off_by=commander if regulator else None,
            signed_off_at=T0 if regulator else None,
        )
        updates.append(update)
    return updates


@pytest.mark.parametrize("rows", ROWS)
def test_update_list(incident, commander, django_assert_num_queries, rows):
    _published_updates(incident, commander, rows)
    # groups, incident, count, page (with users and corrected update joined), renditions
    body = fetch(
        commander, f"/api/v1/incidents/{incident.pk}/updates/", django_assert_num_queries, 5
    )
    assert len(body["results"]) == rows and body["results"][0]["number"] == rows
    assert len(body["results"][0]["renditions"]) == 2


@pytest.mark.parametrize("rows", ROWS)
def test_regulator_update_list(incident, commander, regulator, django_assert_num_queries, rows):
    _published_updates(incident, commander, rows, regulator=True)
    # groups, count, page (with update and incident joined), and (#10) the audit trail's
    # INSERT recording this regulator read: one row per request, whatever the page size.
    body = fetch(regulator, "/api/v1/regulator/updates/", django_assert_num_queries, 4)
    assert (
        len(body["results"]) == rows
        and body["results"][0]["incident_reference"] == incident.reference
    )


@pytest.mark.parametrize("rows", ROWS)
def test_subscription_list(commander, fraud_model, django_assert_num_queries, rows):
    from comms.subscriptions import create_subscription

    for i in range(rows):
        if i % 2:
            create_subscription(
                by=commander, name=f"s{i:02}", audience="executive", models=[fraud_model]
            )
        else:
            create_subscription(
                by=commander,
                name=f"s{i:02}",
                audience="technical",
                channel="webhook",
                target=f"https://hooks.example.test/{i}",
            )
    # groups, count, page (with user joined), models
    body = fetch(commander, "/api/v1/subscriptions/", django_assert_num_queries, 4)
    assert len(body["results"]) == rows and body["results"][1]["models"] == ["fraud-scoring"]


def _deliveries(incident, commander, user, rows: int) -> None:
    from comms.models import Delivery

    update = _published_updates(incident, commander, 1)[0]
    Delivery.objects.bulk_create(
        Delivery(
            kind="update",
            incident=incident,
            update=update,
            user=user,
            channel="inapp",
            audience="technical",
            payload={"type": "incident.update.published"},
            next_attempt_at=T0,
            created_at=T0 + timedelta(seconds=i),
        )
        for i in range(rows)
    )


@pytest.mark.parametrize("rows", ROWS)
def test_delivery_list(incident, commander, responder, django_assert_num_queries, rows):
    _deliveries(incident, commander, commander, rows)
    # groups, count, page (with update and user joined)
    body = fetch(responder, "/api/v1/deliveries/", django_assert_num_queries, 3)
    assert len(body["results"]) == rows and body["results"][0]["update"] == 1


@pytest.mark.parametrize("rows", ROWS)
def test_inbox(incident, commander, django_assert_num_queries, rows):
    _deliveries(incident, commander, commander, rows)
    # groups, unread count, count, page
    body = fetch(commander, "/api/v1/inbox/", django_assert_num_queries, 4)
    assert len(body["results"]) == rows and body["unread"] == rows


@pytest.mark.parametrize("rows", ROWS)
def test_deadline_list(incident, commander, django_assert_num_queries, rows):
    from comms.models import Deadline

    updates = _published_updates(incident, commander, 2)
    Deadline.objects.bulk_create(
        Deadline(
            incident=incident,
            audience="technical",
            opened_at=T0,
            due_at=T0 + timedelta(minutes=30 * (i + 1)),
            cadence_minutes=30,
            opened_by=updates[0],
            fulfilled_by=updates[1],
            fulfilled_at=T0,
            outcome="met",
            snoozed_by=commander,
            snoozed_at=T0,
            snooze_reason="r",
        )
        for i in range(rows)
    )
    # groups, incident, count, page (with the updates and the snoozer joined)
    body = fetch(
        commander, f"/api/v1/incidents/{incident.pk}/deadlines/", django_assert_num_queries, 4
    )
    assert len(body["results"]) == rows and body["results"][0]["fulfilled_by"] == 2


@pytest.mark.parametrize("rows", ROWS)
def test_feedback_summary(incident, commander, django_assert_num_queries, rows):
    from comms.models import Delivery, Feedback

    _deliveries(incident, commander, commander, rows)
    for i, delivery in enumerate(Delivery.objects.all()):
        Feedback.objects.create(
            delivery=delivery,
            update=delivery.update,
            audience="technical",
            clarity=1 + i % 5,
            usefulness=5,
        )
    # groups, incident, overall, per audience, per update
    body = fetch(
        commander, f"/api/v1/incidents/{incident.pk}/feedback/", django_assert_num_queries, 5
    )
    assert body["overall"]["count"] == rows and body["by_update"][0]["count"] == rows
