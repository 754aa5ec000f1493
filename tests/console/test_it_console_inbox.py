"""The in-app inbox page and the unread badge in the navigation."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comms import fanout, workflows
from comms.models import Deadline, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(commander, responder, fraud_model):
    incident = workflows.declare_incident(
        by=commander, title="Fraud FP surge", severity=2, models=[(fraud_model, "")]
    )
    deadline = Deadline.objects.open().filter(incident=incident).first()
    fanout.write_user_notices(
        kind="reminder",
        deadline=deadline,
        users=[commander, responder],
        message="The executive update for INC-1 was due at 10:30 UTC.",
        now=timezone.now(),
    )
    fanout.write_user_notices(
        kind="escalation",
        deadline=deadline,
        users=[commander],
        message="No executive update since 10:30.",
        now=timezone.now(),
    )
    return Delivery.objects.filter(user=commander, channel="inapp")


def badge(page: str) -> str | None:
    match = re.search(r'class="count-badge">(\d+)<span class="visually-hidden"> unread', page)
    return match.group(1) if match else None


def test_it_lists_the_users_messages_with_an_unread_badge(client, commander, notices):
    client.force_login(commander)
    page = client.get(reverse("inbox")).text
    assert "was due at 10:30 UTC" in page and "No executive update since 10:30." in page
    assert page.count('class="message kind-') == 2
    assert badge(page) == "2"


def test_it_shows_only_the_users_own_messages(client, responder, notices):
    client.force_login(responder)
    page = client.get(reverse("inbox")).text
    assert page.count('class="message kind-') == 1 and "No executive update" not in page


def test_it_marks_one_message_read(client, commander, notices):
    client.force_login(commander)
    message = notices.first()
    response = client.post(reverse("inbox-read", args=[message.pk]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.read_at is not None
    assert badge(client.get(reverse("inbox")).text) == "1"


def test_it_marks_all_read(client, commander, responder, notices):
    client.force_login(commander)
    assert client.post(reverse("inbox-read-all")).status_code == 302
    assert not Delivery.objects.filter(
        user=commander, channel="inapp", read_at__isnull=True
    ).exists()
    assert Delivery.objects.filter(user=responder, channel="inapp", read_at__isnull=True).exists()
    assert badge(client.get(reverse("inbox")).text) is None


def test_it_refuses_to_mark_someone_elses_message(client, responder, notices):
    client.force_login(responder)
    assert client.post(reverse("inbox-read", args=[notices.first().pk])).status_code == 404
    assert notices.first().read_at is None


def test_it_refuses_get_on_mark_read(client, commander, notices):
    client.force_login(commander)
    assert client.get(reverse("inbox-read-all")).status_code == 405


def test_it_sends_anonymous_visitors_to_login(client):
    assert client.get(reverse("inbox")).status_code == 302


def test_it_counts_unread_in_one_query(client, commander, notices):
    client.force_login(commander)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("incidents:list")).text
    assert badge(page) == "2"
    assert sum('"comms_delivery"' in q["sql"] for q in ctx.captured_queries) == 1


def test_it_shows_the_badge_on_every_page_for_every_persona(client, executive, notices):
    client.force_login(executive)
    page = client.get(reverse("glossary:list")).text
    assert 'href="/inbox/"' in page and badge(page) is None


def test_it_renders_inbox_without_inline_scripts_or_styles(client, commander, notices):
    client.force_login(commander)
    page = client.get(reverse("inbox")).text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "<style" not in page and " style=" not in page
