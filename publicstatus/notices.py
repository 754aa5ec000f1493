"""What customers are told by mail: customer updates of real incidents, and maintenance.

`notify_customer_update` and `notify_maintenance_update` write one outbox row
per active subscriber following an affected component (or all), once per
update: a `FannedOut` row written in the same transaction makes a second call
a no-op. comms hands a published update over by task name after commit
(comms/fanout.py); the maintenance steps do the same. `catch_up` (beat) does
what a broker outage lost: recent publications with no `FannedOut` row.

Only the customer rendition's words are read; drills and incidents that
suppress external messages never reach a subscriber.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from comms.models import Rendition, StatusUpdate
from incidents.choices import Audience
from publicstatus import outbox
from publicstatus.links import site_url
from publicstatus.models import FannedOut, MaintenanceUpdate, Notice, Subscriber

CATCH_UP = timedelta(days=1)


def _following(model_ids: list[int]) -> list[Subscriber]:
    active = Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
    return list(
        active.filter(Q(all_components=True) | Q(components__in=model_ids))
        .distinct()
        .order_by("pk")
    )


def _claim_fan_out(**target: object) -> bool:
    """Record that this update is being fanned out; False if it already was."""
    try:
        with transaction.atomic():
            FannedOut.objects.create(at=timezone.now(), **target)
    except IntegrityError:
        return False
    return True


def notify_customer_update(update_id: int, *, now: datetime | None = None) -> int:
    """Write the notices of one published update's customer rendition; return how many."""
    now = now or timezone.now()
    rendition = (
        Rendition.objects.filter(
            update_id=update_id,
            audience=Audience.CUSTOMER,
            update__status=StatusUpdate.Status.PUBLISHED,
            update__incident__is_drill=False,
            update__incident__suppress_external=False,
        )
        .select_related("update")
        .first()
    )
    if rendition is None:
        return 0
    update = rendition.update
    with transaction.atomic():
        if not _claim_fan_out(status_update_id=update_id):
            return 0
        model_ids = list(update.incident.affected_links.values_list("model_id", flat=True))
        link = site_url(f"/status/public/#inc-{update.incident_id}")
        body = "\n\n".join(p for p in (rendition.summary, rendition.body.strip()) if p)
        rows = outbox.write(
            _following(model_ids),
            kind=Notice.Kind.INCIDENT,
            source=f"update-{update_id}",
            subject=f"[{settings.STATUS_PAGE_NAME}] {rendition.summary}",
            body=f"{body}\n\nStatus page: {link}",
            now=now,
        )
    return len(rows)


def notify_maintenance_update(update_id: int, *, now: datetime | None = None) -> int:
    """Write the notices of one public maintenance update; return how many."""
    now = now or timezone.now()
    update = (
        MaintenanceUpdate.objects.filter(pk=update_id, maintenance__announced_at__isnull=False)
        .select_related("maintenance")
        .first()
    )
    if update is None:
        return 0
    m = update.maintenance
    with transaction.atomic():
        if not _claim_fan_out(maintenance_update_id=update_id):
            return 0
        link = site_url(f"/status/public/#mnt-{m.pk}")
        rows = outbox.write(
            _following(list(m.components.values_list("pk", flat=True))),
            kind=Notice.Kind.MAINTENANCE,
            source=f"maintenance-update-{update_id}",
            subject=f"[{settings.STATUS_PAGE_NAME}] Maintenance "
            f"{update.get_status_display().lower()}: {m.name}",
            body=f"{update.body}\n\nWindow: {m.scheduled_for:%Y-%m-%d %H:%M} to "
            f"{m.scheduled_until:%Y-%m-%d %H:%M} UTC.\n\nStatus page: {link}",
            now=now,
        )
    return len(rows)


def catch_up(*, now: datetime | None = None) -> int:
    """Fan out recent publications whose hand-over was lost (a broker outage)."""
    now = now or timezone.now()
    since = now - CATCH_UP
    done = FannedOut.objects.filter(status_update=OuterRef("pk"))
    updates = StatusUpdate.objects.filter(
        status=StatusUpdate.Status.PUBLISHED,
        published_at__gte=since,
        incident__is_drill=False,
        incident__suppress_external=False,
        renditions__audience=Audience.CUSTOMER,
    ).filter(~Exists(done))
    count = sum(notify_customer_update(pk, now=now) for pk in updates.values_list("pk", flat=True))
    mdone = FannedOut.objects.filter(maintenance_update=OuterRef("pk"))
    for pk in (
        MaintenanceUpdate.objects.filter(created_at__gte=since)
        .filter(~Exists(mdone))
        .values_list("pk", flat=True)
    ):
        count += notify_maintenance_update(pk, now=now)
    return count
