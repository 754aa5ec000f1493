"""Action items: services, and the overdue reminders run by the learning tick.

Interface used by drills (debrief improvements):
create_action_item(*, incident, by, title, owner, due_at, expected_outcome, category,
review=None, drill=None, now=None) -> ActionItem

Overdue items go through the same outbox as cadence reminders: the owner
gets an in-app notice (and an e-mail when they have an address) once the
item falls due; if it is still open ACTION_ITEM_ESCALATION_HOURS after its
due time, the incident commander is told too. Both steps are claimed by a
conditional UPDATE, so two workers or two beats never send one twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, User
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from comms import fanout
from comms.models import Delivery
from incidents import permissions, rights
from incidents.choices import EntryKind, Role
from incidents.decision_log.chain import append_entry
from incidents.models import Incident, RoleAssignment
from kit.errors import DomainError, NotPermitted
from kit.text import IS_AT_MOST, required_text
from kit.users import account
from learning.models import ActionItem, Drill, Review

OPEN_STATUSES = (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS)
TITLE_MAX = 200


def open_items() -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(status__in=OPEN_STATUSES)


def overdue_items(now: datetime) -> QuerySet[ActionItem]:
    return open_items().filter(due_at__lte=now)


def escalation_grace() -> timedelta:
    return timedelta(hours=settings.ACTION_ITEM_ESCALATION_HOURS)


def is_overdue(item: ActionItem, now: datetime) -> bool:
    return item.is_open and item.due_at <= now


# --- Validation ------------------------------------------------------------------------------


def _text(value: Any, field: str, *, max_length: int | None = None) -> str:
    return required_text(value, field, max_length=max_length, too_long=IS_AT_MOST)


def _owner(owner: Any) -> User:
    user_model = get_user_model()
    if not isinstance(owner, user_model) or owner.pk is None or not owner.is_active:
        raise DomainError("owner must be an active user.", field="owner")
    if not permissions.can_read_incidents(owner):
        raise DomainError(
            "owner must be able to read incidents (responder, commander or executive).",
            field="owner",
        )
    return account(owner)


def _due(due_at: Any, now: datetime) -> datetime:
    if not isinstance(due_at, datetime) or due_at.tzinfo is None:
        raise DomainError("due_at must be a date-time with a time zone.", field="due_at")
    if due_at <= now:
        raise DomainError("due_at must be in the future.", field="due_at")
    return due_at


def _require_writer(by: AbstractBaseUser | None) -> None:
    # by=None is the system (e.g. a drill debrief run by a service): the caller checked.
    if by is not None and not permissions.can_respond(by):
        raise NotPermitted(
            "Only responders and commanders may manage action items; executives read only."
        )


def may_manage(user: AbstractBaseUser, incident: Incident) -> bool:
    """Reassigning or moving a due date: commander-eligible users or the incident's commander."""
    return rights.may_lead(user, incident)


def _payload_item(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "owner": item.owner.get_username(),
        "due_at": item.due_at.isoformat(),
        "status": item.status,
        "category": item.category,
        "expected_outcome": item.expected_outcome,
    }


# --- Services --------------------------------------------------------------------------------


def create_action_item(
    *,
    incident: Incident,
    by: AbstractBaseUser | None,
    title: str,
    owner: AbstractBaseUser,
    due_at: datetime,
    expected_outcome: str,
    category: str,
    review: Review | None = None,
    drill: Drill | None = None,
    now: datetime | None = None,
) -> ActionItem:
    """Record an improvement with an owner and a due date, and log it on the incident.

    Raises DomainError(field=…) naming the bad input; NotPermitted unless
    `by` may write (None: the system, for services that checked already).
    """
    _require_writer(by)
    now = now or timezone.now()
    title = _text(title, "title", max_length=TITLE_MAX)
    expected_outcome = _text(expected_outcome, "expected_outcome")
    if category not in ActionItem.Category.values:
        raise DomainError(
            f"category must be one of {', '.join(ActionItem.Category.values)}.", field="category"
        )
    owner = _owner(owner)
    due_at = _due(due_at, now)
    if review is not None and review.incident_id != incident.pk:
        raise DomainError("review must be the review of this incident.", field="review")
    if drill is not None and drill.incident_id != incident.pk:
        raise DomainError("drill must be the drill of this incident.", field="drill")
    with transaction.atomic():
        item = ActionItem.objects.create(
            incident=incident,
            review=review,
            drill=drill,
            title=title,
            owner=owner,
            due_at=due_at,
            expected_outcome=expected_outcome,
            category=category,
            created_by=account(by),
            created_at=now,
        )
        append_entry(
            incident=incident,
            kind=EntryKind.ACTION_ITEM,
            actor=by,
            actor_label="" if by else "action items",
            summary=f"Action item: {title} (owner {owner.get_username()}, due {due_at:%Y-%m-%d %H:%M} UTC)",
            data={
                "event": "created",
                **_payload_item(item),
                "review": review.pk if review else None,
                "drill": drill.pk if drill else None,
            },
        )
    return item


def update_action_item(
    *,
    item: ActionItem,
    by: AbstractBaseUser,
    status: str | None = None,
    owner: AbstractBaseUser | None = None,
    due_at: datetime | None = None,
    note: str = "",
) -> ActionItem:
    """Change an item's status, owner or due date, logged on its incident.

    Any responder or commander updates the status; reassigning and moving
    the due date need commander eligibility or the incident commander role.
    A new owner or a new due date re-arms the reminder (and escalation).
    """
    _require_writer(by)
    if by is None:
        raise NotPermitted("Updating an action item needs a person.")
    if status is not None and status not in ActionItem.Status.values:
        raise DomainError(
            f"status must be one of {', '.join(ActionItem.Status.values)}.", field="status"
        )
    now = timezone.now()
    note = str(note or "").strip()
    with transaction.atomic():
        item = (
            ActionItem.objects.select_for_update()
            .select_related("incident", "owner")
            .get(pk=item.pk)
        )
        if (owner is not None or due_at is not None) and not may_manage(by, item.incident):
            raise NotPermitted(
                "Only commander-eligible users or the incident commander reassign or reschedule."
            )
        changes: dict[str, Any] = {}
        if owner is not None and owner.pk != item.owner_id:
            owner = _owner(owner)
            changes["owner"] = [item.owner.get_username(), owner.get_username()]
            item.owner = owner
        if due_at is not None and due_at != item.due_at:
            due_at = _due(due_at, now)
            changes["due_at"] = [item.due_at.isoformat(), due_at.isoformat()]
            item.due_at = due_at
        if changes:
            item.reminded_at, item.escalated_at = None, None
        if status is not None and status != item.status:
            changes["status"] = [item.status, status]
            item.status = status
            item.completed_at = now if status == ActionItem.Status.DONE else None
        if not changes:
            return item
        item.save()
        what = ", ".join(f"{k} {old} → {new}" for k, (old, new) in changes.items())
        append_entry(
            incident=item.incident,
            kind=EntryKind.ACTION_ITEM,
            actor=by,
            summary=f"Action item {item.title}: {what}" + (f" ({note})" if note else ""),
            data={"event": "updated", "id": item.pk, "changes": changes, "note": note},
        )
    return item


# --- The periodic claim ----------------------------------------------------------------------


def _message(item: ActionItem, kind: str, grace: timedelta) -> tuple[str, str]:
    ref = item.incident.reference
    due = f"{item.due_at:%Y-%m-%d %H:%M} UTC"
    if kind == "reminder":
        return (
            f"Action item overdue: {item.title} ({ref})",
            f'Your action item "{item.title}" from {ref} was due {due}. Expected outcome: '
            f"{item.expected_outcome}",
        )
    hours = int(grace.total_seconds() // 3600)
    return (
        f"Escalation: action item still open: {item.title} ({ref})",
        f'"{item.title}" (owner {item.owner.get_username()}) from {ref} was due {due} and is still '
        f"{item.get_status_display().lower()} {hours} h later.",
    )


def _notify(
    item: ActionItem, kind: str, users: list[AbstractBaseUser], *, now: datetime, grace: timedelta
) -> None:
    title, message = _message(item, kind, grace)
    payload = {
        "type": f"incident.action_item.{kind}",
        "incident": fanout.incident_payload(item.incident),
        "action_item": _payload_item(item)
        | {"url": fanout.absolute(reverse("reviews:action-items"))},
        "title": title,
        "message": message,
    }
    rows = fanout.write_notices(
        kind=Delivery.Kind.ACTION_ITEM,
        incident=item.incident,
        users=users,
        payload=payload,
        now=now,
    )
    append_entry(
        incident=item.incident,
        kind=EntryKind.REMINDER if kind == "reminder" else EntryKind.ESCALATION,
        actor_label="action items",
        summary=title,
        data={
            "action_item": item.pk,
            "due_at": item.due_at.isoformat(),
            "notified": sorted(u.get_username() for u in users),
        },
    )
    fanout.enqueue_after_commit(rows)


def remind(item_id: int, *, now: datetime) -> bool:
    """Remind the owner of one overdue item, once."""
    with transaction.atomic():
        won = (
            open_items()
            .filter(pk=item_id, reminded_at__isnull=True, due_at__lte=now)
            .update(reminded_at=now)
        )
        if won != 1:
            return False
        item = ActionItem.objects.select_related("incident", "owner").get(pk=item_id)
        _notify(item, "reminder", [item.owner], now=now, grace=escalation_grace())
    return True


def escalate(item_id: int, *, now: datetime) -> bool:
    """Tell the incident commander (else whoever created the item) that an item is still open, once."""
    grace = escalation_grace()
    with transaction.atomic():
        won = (
            open_items()
            .filter(
                pk=item_id,
                reminded_at__isnull=False,
                escalated_at__isnull=True,
                due_at__lte=now - grace,
            )
            .update(escalated_at=now)
        )
        if won != 1:
            return False
        item = ActionItem.objects.select_related("incident", "owner", "created_by").get(pk=item_id)
        users = [
            a.user
            for a in RoleAssignment.objects.active()
            .filter(incident=item.incident, role=Role.COMMANDER)
            .select_related("user")
        ]
        if not users and item.created_by is not None:
            users = [item.created_by]
        _notify(item, "escalation", users, now=now, grace=grace)
    return True


def run_due(*, now: datetime) -> int:
    """Remind owners of overdue action items; escalate when still overdue. Returns rows handled.

    1. Reminders: open items past due and not yet reminded.
    2. Escalations: reminded, not escalated, and past due + the grace.
    Each row is claimed by its own conditional UPDATE in its own transaction,
    so concurrent ticks split the work and nobody is told twice.
    """
    reminded = sum(
        remind(pk, now=now)
        for pk in open_items()
        .filter(reminded_at__isnull=True, due_at__lte=now)
        .values_list("pk", flat=True)
    )
    escalated = sum(
        escalate(pk, now=now)
        for pk in open_items()
        .filter(
            reminded_at__isnull=False,
            escalated_at__isnull=True,
            due_at__lte=now - escalation_grace(),
        )
        .values_list("pk", flat=True)
    )
    return reminded + escalated
