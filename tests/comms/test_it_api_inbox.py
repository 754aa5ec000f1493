"""The in-app inbox and the (read-only) outbox through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import Delivery, DeliveryAttempt
from comms.services import create_draft, publish_update
from comms.subscriptions import create_subscription
from tests.helpers import error_fields, snapshot, token_client


@pytest.fixture
def published(incident, commander, executive, responder):
    """Two published updates reaching the executive (inbox + e-mail) and a Slack channel."""
    create_subscription(by=executive, name="Exec", audience="executive")
    create_subscription(
        by=commander,
        name="Slack",
        audience="executive",
        channel="slack",
        target="https://hooks.slack.com/services/T000/B000/SECRET",
    )
    updates = []
    for text in ("Payments are being declined in error", "Payments work again"):
        draft = create_draft(
            incident=incident,
            by=commander,
            what_changed=text,
            renditions={"executive": {"summary": text}},
        )
        updates.append(publish_update(update=draft, by=commander))
    return updates


def test_the_inbox_lists_ones_own_messages_newest_first_with_the_unread_count(
    published, executive, responder
):
    eve = token_client(executive)
    inbox = eve.get("/api/v1/inbox/").json()
    assert inbox["unread"] == 2 and inbox["count"] == 2
    assert [m["payload"]["rendition"]["summary"] for m in inbox["results"]] == [
        "Payments work again",
        "Payments are being declined in error",
    ]
    first = inbox["results"][0]
    assert first["kind"] == "update" and first["is_read"] is False and first["read_at"] is None
    assert first["incident"] == published[0].incident_id
    # E-mail copies are not inbox messages; and nobody else sees Eve's.
    assert token_client(responder).get("/api/v1/inbox/").json() == {
        "unread": 0,
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_reading_a_message_lowers_the_unread_count_once(published, executive):
    eve = token_client(executive)
    newest = eve.get("/api/v1/inbox/").json()["results"][0]
    read = eve.post(f"/api/v1/inbox/{newest['id']}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True
    read_at = read.json()["read_at"]
    assert eve.get("/api/v1/inbox/").json()["unread"] == 1
    # Reading again keeps the first time.
    assert eve.post(f"/api/v1/inbox/{newest['id']}/read/").json()["read_at"] == read_at

    marked = eve.post("/api/v1/inbox/read-all/")
    assert marked.status_code == 200 and marked.json() == {"marked": 1, "unread": 0}
    assert eve.get("/api/v1/inbox/").json()["unread"] == 0
    assert eve.post("/api/v1/inbox/read-all/").json() == {"marked": 0, "unread": 0}


def test_nobody_reads_anothers_messages(published, executive, commander):
    message = Delivery.objects.filter(user=executive, channel="inapp").first()
    email = Delivery.objects.filter(user=executive, channel="email").first()
    before = snapshot()
    assert token_client(commander).post(f"/api/v1/inbox/{message.pk}/read/").status_code == 404
    assert (
        token_client(executive).post(f"/api/v1/inbox/{email.pk}/read/").status_code == 404
    )  # not an inbox row
    assert token_client(commander).post("/api/v1/inbox/read-all/").json()["marked"] == 0
    assert snapshot() == before
    assert Delivery.objects.get(pk=message.pk).read_at is None


def test_operators_list_and_filter_deliveries(published, responder, incident):
    remy = token_client(responder)
    listed = remy.get("/api/v1/deliveries/").json()
    assert listed["count"] == 6  # 2 updates × (inbox, e-mail, Slack)
    slack = remy.get("/api/v1/deliveries/?channel=slack").json()["results"]
    assert [d["update"] for d in slack] == [2, 1]
    # Slack webhook URLs are secrets: only the scheme and host are shown.
    assert slack[0]["target"] == "https://hooks.slack.com/…"
    assert (
        remy.get("/api/v1/deliveries/?channel=email").json()["results"][0]["target"]
        == "eve@example.test"
    )
    assert (
        remy.get(f"/api/v1/deliveries/?incident={incident.pk}&status=pending").json()["count"] == 6
    )
    assert remy.get("/api/v1/deliveries/?status=delivered").json()["count"] == 0
    assert remy.get(f"/api/v1/deliveries/?incident={incident.pk + 1}").json()["count"] == 0
    for query, field in [
        ("status=lost", "status"),
        ("channel=fax", "channel"),
        ("incident=x", "incident"),
    ]:
        response = remy.get(f"/api/v1/deliveries/?{query}")
        assert response.status_code == 400 and field in error_fields(response)


def test_a_delivery_shows_every_attempt(published, responder):
    delivery = Delivery.objects.filter(channel="slack").order_by("created_at").first()
    now = timezone.now()
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, at=now, ok=False, status_code=500, error="HTTP 500"
    )
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=2,
        at=now + timedelta(seconds=4),
        ok=True,
        status_code=200,
        duration_ms=85,
    )
    body = token_client(responder).get(f"/api/v1/deliveries/{delivery.pk}/").json()
    assert [(a["number"], a["ok"], a["status_code"]) for a in body["attempts"]] == [
        (1, False, 500),
        (2, True, 200),
    ]
    assert body["payload"]["type"] == "incident.update.published"
    # The feedback link is the reader's, not the operator's.
    assert "feedback_url" not in body["payload"] and "feedback_url" in delivery.payload
    assert (
        token_client(responder)
        .get("/api/v1/deliveries/00000000-0000-0000-0000-000000000000/")
        .status_code
        == 404
    )


def test_executives_and_viewers_do_not_read_the_outbox(published, executive, regulator):
    delivery = Delivery.objects.first()
    for user in (executive, regulator):
        assert token_client(user).get("/api/v1/deliveries/").status_code == 403
        assert token_client(user).get(f"/api/v1/deliveries/{delivery.pk}/").status_code == 403
