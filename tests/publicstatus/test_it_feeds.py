"""Atom, RSS 2.0 and iCalendar feeds: parsed as readers parse them; customer words only."""

from __future__ import annotations

import feedparser
import icalendar
import pytest

from publicstatus.maintenance import (
    cancel_maintenance,
    schedule_maintenance,
    start_maintenance,
)
from tests.builders import announced_maintenance, declare, publish_renditions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

SECRETS = ["INTERNAL-TITLE-5F", "TECH-5F", "EXEC-5F", "DRILL-5F", "DRAFT-MNT-5F"]


@pytest.fixture
def published(commander, responder, fraud_model):
    incident = declare(commander, fraud_model, title="INTERNAL-TITLE-5F", severity=1)
    publish_renditions(
        incident,
        commander,
        responder,
        technical={"summary": "TECH-5F"},
        executive={"summary": "EXEC-5F"},
        customer={"summary": "Some card payments fail.", "body": "Please retry."},
    )
    drill = declare(commander, fraud_model, severity=1, is_drill=True)
    publish_renditions(drill, commander, responder, customer={"summary": "DRILL-5F"})
    maintenance = announced_maintenance(commander, fraud_model, name="Database upgrade")
    start_maintenance(maintenance, by=commander, body="Started now.")
    schedule_maintenance(
        by=commander,
        name="DRAFT-MNT-5F",
        scheduled_for=maintenance.scheduled_for,
        scheduled_until=maintenance.scheduled_until,
    )
    return incident, maintenance


@pytest.mark.parametrize("path,version", [("feed.atom", "atom10"), ("feed.rss", "rss20")])
def test_feeds_parse_and_carry_customer_updates_and_maintenance(client, published, path, version):
    incident, maintenance = published
    response = client.get(f"/status/public/{path}")
    assert response.status_code == 200
    text = response.content.decode()
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == version
    titles = [e.title for e in feed.entries]
    assert "Some card payments fail." in titles
    assert "Maintenance in progress: Database upgrade" in titles
    assert "Maintenance scheduled: Database upgrade" in titles
    entry = next(e for e in feed.entries if e.title == "Some card payments fail.")
    assert "Please retry." in entry.summary and entry.link.endswith(f"#inc-{incident.pk}")
    assert len({e.id for e in feed.entries}) == len(feed.entries) == 3
    for secret in SECRETS:
        assert secret not in text, secret


def test_the_calendar_lists_announced_windows(client, published, commander, fraud_model):
    _, maintenance = published
    cancelled = announced_maintenance(commander, fraud_model, name="Network swap", hours_ahead=48)
    cancel_maintenance(cancelled, by=commander)
    response = client.get("/status/public/maintenance.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Maintenance: Database upgrade", "Maintenance: Network swap"}
    upgrade = events["Maintenance: Database upgrade"]
    assert upgrade.decoded("dtstart") == maintenance.scheduled_for.replace(microsecond=0)
    assert upgrade.decoded("dtend") == maintenance.scheduled_until.replace(microsecond=0)
    assert str(upgrade["status"]) == "CONFIRMED"
    assert str(events["Maintenance: Network swap"]["status"]) == "CANCELLED"
    assert str(upgrade["uid"]).startswith(f"mnt-{maintenance.pk}@")
    assert "DRAFT-MNT-5F" not in response.content.decode()


def test_feeds_are_cached_with_an_etag(client, published, django_assert_num_queries):
    first = client.get("/status/public/feed.atom")
    with django_assert_num_queries(1):  # the version only
        again = client.get("/status/public/feed.atom", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_the_page_links_the_feeds(client):
    html = client.get("/status/public/").content.decode()
    for href in (
        "/status/public/feed.atom",
        "/status/public/feed.rss",
        "/status/public/maintenance.ics",
    ):
        assert f'href="{href}"' in html
