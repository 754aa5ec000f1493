"""Atom, RSS 2.0 and iCalendar feeds of what customers may read.

Entries are published customer renditions of real incidents and the public
updates of announced maintenance; nothing else an incident carries is read.
The calendar lists announced maintenance windows (cancelled ones as
STATUS:CANCELLED, so calendars drop them). Each builder runs two queries or
fewer; the views cache the output per public data version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import feedgenerator, timezone

from comms.models import Rendition
from publicstatus.models import Maintenance, MaintenanceUpdate
from publicstatus.visibility import customer_published

LIMIT = 50
CALENDAR_PAST = timedelta(days=90)


@dataclass(frozen=True)
class Entry:
    guid: str
    title: str
    body: str
    link: str
    at: datetime


def _site() -> str:
    return settings.SITE_URL.rstrip("/")


def entries() -> list[Entry]:
    """The latest public incident updates and maintenance updates, newest first: two queries."""
    site = _site()
    result = [
        Entry(
            guid=f"{site}/status/public/#inc-{r.update.incident_id}-upd-{r.update.number}",
            title=r.summary,
            body=r.body,
            link=f"{site}/status/public/#inc-{r.update.incident_id}",
            at=r.update.published_at or timezone.now(),
        )
        for r in Rendition.objects.filter(update__incident__is_drill=False, **customer_published())
        .select_related("update")
        .only("summary", "body", "update__incident_id", "update__number", "update__published_at")
        .order_by("-update__published_at", "-pk")[:LIMIT]
    ]
    result += [
        Entry(
            guid=f"{site}/status/public/#mnt-{u.maintenance_id}-upd-{u.pk}",
            title=f"Maintenance {u.get_status_display().lower()}: {u.maintenance.name}",
            body=f"{u.body}\n\nScheduled {u.maintenance.scheduled_for:%Y-%m-%d %H:%M} to "
            f"{u.maintenance.scheduled_until:%Y-%m-%d %H:%M} UTC.",
            link=f"{site}/status/public/#mnt-{u.maintenance_id}",
            at=u.created_at,
        )
        for u in MaintenanceUpdate.objects.filter(maintenance__announced_at__isnull=False)
        .select_related("maintenance")
        .order_by("-created_at", "-pk")[:LIMIT]
    ]
    return sorted(result, key=lambda e: e.at, reverse=True)[:LIMIT]


def syndication(kind: str) -> str:
    """Return the Atom ("atom") or RSS 2.0 ("rss") document."""
    feed_class = feedgenerator.Atom1Feed if kind == "atom" else feedgenerator.Rss201rev2Feed
    site = _site()
    items = entries()
    feed = feed_class(
        title=f"{settings.STATUS_PAGE_NAME} status",
        link=f"{site}/status/public/",
        description="Incident updates and scheduled maintenance.",
        language="en",
        feed_url=f"{site}/status/public/feed.{kind}",
        feed_guid=f"{site}/status/public/",
    )
    for item in items:
        feed.add_item(
            title=item.title,
            link=item.link,
            description=item.body or item.title,
            unique_id=item.guid,
            unique_id_is_permalink=False,
            pubdate=item.at,
            updateddate=item.at,
        )
    return feed.writeString("utf-8")


def calendar() -> bytes:
    """Return the iCalendar document of announced maintenance (the last 90 days and ahead)."""
    site = _site()
    host = urlsplit(site).hostname or "localhost"
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{settings.STATUS_PAGE_NAME}//Scheduled maintenance//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{settings.STATUS_PAGE_NAME}: scheduled maintenance")
    for m in Maintenance.objects.filter(
        announced_at__isnull=False, scheduled_until__gte=timezone.now() - CALENDAR_PAST
    ).order_by("scheduled_for", "pk"):
        event = icalendar.Event()
        event.add("uid", f"mnt-{m.pk}@{host}")
        event.add("summary", f"Maintenance: {m.name}")
        event.add("description", m.body)
        event.add("dtstart", m.scheduled_for)
        event.add("dtend", m.scheduled_until)
        event.add("dtstamp", m.updated_at)
        event.add("last-modified", m.updated_at)
        event.add("url", f"{site}/status/public/#mnt-{m.pk}")
        event.add(
            "status", "CANCELLED" if m.status == Maintenance.Status.CANCELLED else "CONFIRMED"
        )
        cal.add_component(event)
    return cal.to_ical()
