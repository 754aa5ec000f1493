"""Scheduled maintenance: schedule, announce, start, complete, cancel.

Each step is one keyword-only service that owns its transaction. Announcing,
starting, completing and cancelling add a public `MaintenanceUpdate` (what
the page, the feeds and /api/v2/ show) and, after commit, hand the update to
the subscriber notifications by task name (`NOTIFY_TASK`), so nothing is sent
for a step that rolled back. Only commanders (or admins) run these.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from incidents import permissions
from incidents.models import MonitoredModel
from kit.errors import Conflict, DomainError, NotPermitted
from kit.text import bounded_text, required_text
from publicstatus.models import Maintenance, MaintenanceUpdate

log = logging.getLogger(__name__)
NOTIFY_TASK = "publicstatus.tasks.notify_maintenance_task"
Status = Maintenance.Status

# What customers read when a step adds no words of its own.
DEFAULT_WORDS: dict[str, str] = {
    Status.SCHEDULED: "Maintenance is scheduled.",
    Status.IN_PROGRESS: "Maintenance is in progress.",
    Status.VERIFYING: "Maintenance is done; we are verifying.",
    Status.COMPLETED: "Maintenance has completed.",
    Status.CANCELLED: "This maintenance has been cancelled.",
}


def can_manage(user: Any) -> bool:
    """Return whether `user` may schedule and run maintenance (commanders, admins)."""
    return permissions.is_commander_eligible(user) or permissions.is_admin(user)


def _require(user: Any) -> None:
    if not can_manage(user):
        raise NotPermitted("Only commanders may schedule and run maintenance.")


def _window(scheduled_for: Any, scheduled_until: Any) -> tuple[datetime, datetime]:
    if not isinstance(scheduled_for, datetime) or timezone.is_naive(scheduled_for):
        raise DomainError(
            "scheduled_for must be a date and time with a zone.", field="scheduled_for"
        )
    if not isinstance(scheduled_until, datetime) or timezone.is_naive(scheduled_until):
        raise DomainError(
            "scheduled_until must be a date and time with a zone.", field="scheduled_until"
        )
    if scheduled_until <= scheduled_for:
        raise DomainError("scheduled_until must be after scheduled_for.", field="scheduled_until")
    return scheduled_for, scheduled_until


def _models(slugs: Iterable[str]) -> list[MonitoredModel]:
    wanted = sorted(set(slugs))
    found = list(MonitoredModel.objects.filter(slug__in=wanted, is_drill=False))
    missing = sorted(set(wanted) - {m.slug for m in found})
    if missing:
        raise DomainError(f"Unknown component: {', '.join(missing)}.", field="components")
    return found


def schedule_maintenance(
    *,
    by: Any,
    name: Any,
    body: Any = "",
    scheduled_for: Any,
    scheduled_until: Any,
    components: Iterable[str] = (),
    impact: str = Maintenance.Impact.MAINTENANCE,
) -> Maintenance:
    """Create a maintenance window, private until announced."""
    _require(by)
    title = required_text(name, "name", max_length=200)
    words = bounded_text(body, "body", max_length=5000)
    start, end = _window(scheduled_for, scheduled_until)
    if impact not in Maintenance.Impact.values:
        raise DomainError(
            f"impact must be one of {', '.join(Maintenance.Impact.values)}.", field="impact"
        )
    models = _models(components)
    with transaction.atomic():
        maintenance = Maintenance.objects.create(
            name=title,
            body=words,
            impact=impact,
            scheduled_for=start,
            scheduled_until=end,
            created_by=by,
        )
        maintenance.components.set(models)
    return maintenance


def _step(
    maintenance: Maintenance,
    *,
    by: Any,
    body: Any,
    allowed_from: tuple[str, ...],
    status: str,
    stamp: str,
    announce: bool = False,
    now: datetime | None = None,
) -> MaintenanceUpdate | None:
    _require(by)
    words = bounded_text(body, "body", max_length=5000) or DEFAULT_WORDS[status]
    now = now or timezone.now()
    with transaction.atomic():
        locked = Maintenance.objects.select_for_update().get(pk=maintenance.pk)
        if announce and locked.announced_at is not None:
            raise Conflict("This maintenance is already announced.", field="status")
        if not announce and locked.announced_at is None and status != Status.CANCELLED:
            raise Conflict("Announce the maintenance first.", field="status")
        if locked.status not in allowed_from:
            raise Conflict(
                f"A maintenance that is {locked.get_status_display().lower()} cannot become "
                f"{Status(status).label.lower()}.",
                field="status",
            )
        Maintenance.objects.filter(pk=locked.pk).update(
            status=status, updated_at=now, **{stamp: now}
        )
        update = None
        if locked.announced_at is not None or announce:
            update = MaintenanceUpdate.objects.create(
                maintenance=locked, status=status, body=words, created_at=now
            )
            update_id = update.pk
            transaction.on_commit(lambda: _notify(update_id))
    maintenance.refresh_from_db()
    return update  # None: a draft was cancelled (nothing public to say)


def _notify(update_id: int) -> None:
    try:
        current_app.send_task(NOTIFY_TASK, args=[update_id])
    except Exception:  # noqa: BLE001 - a broker outage must not fail the step
        log.warning("Broker unavailable: maintenance notice %s not sent", update_id, exc_info=True)


def announce_maintenance(
    maintenance: Maintenance, *, by: Any, body: Any = "", now: datetime | None = None
) -> MaintenanceUpdate | None:
    """Make a scheduled maintenance public and tell subscribers."""
    return _step(
        maintenance,
        by=by,
        body=body or maintenance.body,
        allowed_from=(Status.SCHEDULED,),
        status=Status.SCHEDULED,
        stamp="announced_at",
        announce=True,
        now=now,
    )


def start_maintenance(
    maintenance: Maintenance, *, by: Any, body: Any = "", now: datetime | None = None
) -> MaintenanceUpdate | None:
    """Mark an announced maintenance in progress: its components read under maintenance."""
    return _step(
        maintenance,
        by=by,
        body=body,
        allowed_from=(Status.SCHEDULED,),
        status=Status.IN_PROGRESS,
        stamp="started_at",
        now=now,
    )


def complete_maintenance(
    maintenance: Maintenance, *, by: Any, body: Any = "", now: datetime | None = None
) -> MaintenanceUpdate | None:
    """Mark a started maintenance completed."""
    return _step(
        maintenance,
        by=by,
        body=body,
        allowed_from=(Status.IN_PROGRESS, Status.VERIFYING),
        status=Status.COMPLETED,
        stamp="completed_at",
        now=now,
    )


def cancel_maintenance(
    maintenance: Maintenance, *, by: Any, body: Any = "", now: datetime | None = None
) -> MaintenanceUpdate | None:
    """Cancel a maintenance that has not started (a draft is cancelled silently)."""
    return _step(
        maintenance,
        by=by,
        body=body,
        allowed_from=(Status.SCHEDULED,),
        status=Status.CANCELLED,
        stamp="cancelled_at",
        now=now,
    )


STEPS = {
    "announce": announce_maintenance,
    "start": start_maintenance,
    "complete": complete_maintenance,
    "cancel": cancel_maintenance,
}
