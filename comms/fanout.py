"""Write the outbox: one delivery row per (recipient, channel), enqueued after commit.

Rows are written inside the caller's transaction; `enqueue_after_commit`
hands their ids to the workers once that transaction commits. If the broker
is down at that moment nothing is lost: the sweeper re-drives pending rows.

The ids go to the broker by the task's registered name (`DELIVER_TASK`), so
writing the outbox needs nothing above it: `comms.tasks` registers the task
under that name and imports this module, never the other way round.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from comms.models import Channel, Deadline, Delivery, Rendition, StatusUpdate, Subscription
from incidents.models import Incident

log = logging.getLogger(__name__)

# Ids per delivery task: one task claims them CLAIM_CHUNK at a time over one
# kept-alive client, so the per-task cost (Celery, a new client) is paid once
# per 250 deliveries rather than per 50.
BATCH_SIZE = 250
# The Celery name of the delivery task (comms.tasks.deliver_task); queued tasks refer to it.
DELIVER_TASK = "comms.tasks.deliver_task"
FEEDBACK_SALT = "icc.feedback"
FEEDBACK_LINK_DAYS = 90  # a rating link in an old e-mail stops working after this


# --- Payloads ------------------------------------------------------------------------


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def feedback_token(delivery_id: Any) -> str:
    return signing.dumps(str(delivery_id), salt=FEEDBACK_SALT, compress=True)


def delivery_for_token(token: str) -> str:
    """Return the delivery id a feedback token names; raises signing.BadSignature (or its SignatureExpired)."""
    return signing.loads(token, salt=FEEDBACK_SALT, max_age=timedelta(days=FEEDBACK_LINK_DAYS))


def incident_payload(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "severity_label": incident.severity_label,
        "phase": incident.phase,
        "is_drill": incident.is_drill,
        "url": absolute(incident.get_absolute_url()),
    }


def update_payload(update: StatusUpdate, rendition: Rendition, delivery_id: Any) -> dict[str, Any]:
    """Return the message a subscriber receives for one rendition of a published update."""
    return _with_feedback(_update_message(update, rendition), delivery_id)


def _with_feedback(
    message: dict[str, Any], delivery_id: Any, *, link: str | None = None
) -> dict[str, Any]:
    """The message with this delivery's own feedback link (a signed token of its id).

    `link` is `feedback_link()`, worked out once for a whole fan-out.
    """
    link = link or feedback_link()
    return message | {"feedback_url": link.replace(_SLOT, feedback_token(delivery_id))}


# Stands for the token in feedback_link(): signed tokens are URL-safe (base64 and ':').
_SLOT = "SLOT-FOR-THE-SIGNED-ID"


def feedback_link() -> str:
    """The absolute feedback URL with _SLOT where the delivery's token goes."""
    return absolute(reverse("comms:feedback", args=[_SLOT]))


def _update_message(update: StatusUpdate, rendition: Rendition) -> dict[str, Any]:
    """What every subscriber of one rendition receives, but for the feedback link."""
    return {
        "type": "incident.update.published",
        "incident": incident_payload(update.incident),
        "update": {
            "number": update.number,
            "published_at": update.published_at.isoformat() if update.published_at else None,
            "next_update_at": update.next_update_at.isoformat() if update.next_update_at else None,
            "corrects": update.corrects.number if update.corrects is not None else None,
        },
        "rendition": {
            "audience": rendition.audience,
            "summary": rendition.summary,
            "body": rendition.body,
        },
        # Only the technical audience sees the structured fields verbatim.
        "details": {
            "what_changed": update.what_changed,
            "uncertain": update.uncertain,
            "decisions_pending": update.decisions_pending,
            "actions_in_progress": update.actions_in_progress,
            "current_impact": update.current_impact,
        }
        if rendition.audience == "technical"
        else None,
    }


def cadence_payload(kind: str, deadline: Deadline, message: str) -> dict[str, Any]:
    return {
        "type": f"incident.cadence.{kind}",
        "incident": incident_payload(deadline.incident),
        "deadline": {
            "audience": deadline.audience,
            "due_at": deadline.due_at.isoformat(),
            "cadence_minutes": deadline.cadence_minutes,
        },
        "message": message,
    }


# --- Who receives what -------------------------------------------------------------------


def _allowed(incident: Incident, channel: str) -> bool:
    """In-app always; external channels (e-mail, Slack, webhooks, Apprise) unless the incident
    keeps its messages off them (`suppress_external`: a drill started that way)."""
    return channel == Channel.INAPP or not incident.suppress_external


def matching_subscriptions(
    incident: Incident, audience: str, *, candidates: Sequence[Subscription] | None = None
) -> list[Subscription]:
    """Return the active subscriptions that want this audience of this incident."""
    if candidates is None:
        rows = Subscription.objects.filter(
            is_active=True, audience=audience, min_severity__gte=incident.severity
        )
        candidates = list(rows.select_related("user"))
        models_of = _monitored_model_ids(rows)
    else:
        models_of = {sub.pk: {m.pk for m in sub.monitored_models.all()} for sub in candidates}
    models = list(incident.affected_models.all())
    model_ids = {m.pk for m in models}
    teams = {m.team for m in models}
    wanted = []
    for sub in candidates:
        if sub.audience != audience or not sub.is_active or incident.severity > sub.min_severity:
            continue
        if incident.is_drill and not sub.include_drills:
            continue
        sub_models = models_of.get(sub.pk)
        if sub_models and not sub_models & model_ids:
            continue
        if sub.teams and not set(sub.teams) & teams:
            continue
        if sub.user is not None and not sub.user.is_active:
            continue
        wanted.append(sub)
    return wanted


def _monitored_model_ids(subscriptions: QuerySet[Subscription]) -> dict[int, set[int]]:
    """Map each of *subscriptions* to the ids of its monitored models, in one query.

    The query joins on *subscriptions* rather than sending their ids (a
    prefetch would send all of them, tens of thousands for a large fan-out).
    """
    through = Subscription.monitored_models.through
    pairs = through.objects.filter(subscription__in=subscriptions).values_list(
        "subscription_id", "monitoredmodel_id"
    )
    models_of: dict[int, set[int]] = defaultdict(set)
    for subscription_id, model_id in pairs:
        models_of[subscription_id].add(model_id)
    return models_of


def _user_channels(sub: Subscription) -> list[tuple[str, str]]:
    channels: list[tuple[str, str]] = [(Channel.INAPP, "")]
    if sub.email and sub.user is not None and sub.user.email:
        channels.append((Channel.EMAIL, sub.user.email))
    return channels


def write_update_deliveries(update: StatusUpdate, *, now: datetime) -> list[Delivery]:
    """Write one delivery per (subscriber, channel) for each rendition of a published update."""
    rows: list[Delivery] = []
    incident = update.incident
    link = feedback_link()
    for rendition in update.renditions.all():
        message = _update_message(update, rendition)  # once per rendition, not per subscriber
        for sub in matching_subscriptions(incident, rendition.audience):
            channels = _user_channels(sub) if sub.user_id else [(sub.channel, sub.target)]
            for channel, target in channels:
                if not _allowed(incident, channel):
                    continue
                delivery = Delivery(
                    kind=Delivery.Kind.UPDATE,
                    incident_id=incident.pk,
                    update_id=update.pk,
                    subscription_id=sub.pk,
                    user_id=sub.user_id,
                    channel=channel,
                    target=target,
                    audience=rendition.audience,
                    is_drill=incident.is_drill,
                    next_attempt_at=now,
                    created_at=now,
                )
                delivery.payload = _with_feedback(message, delivery.id, link=link)
                rows.append(delivery)
    Delivery.objects.bulk_create(rows, batch_size=500)
    return rows


def write_user_notices(
    *, kind: str, deadline: Deadline, users: Iterable[AbstractBaseUser], message: str, now: datetime
) -> list[Delivery]:
    """Write in-app (and e-mail) notices of a cadence reminder or escalation to people."""
    return write_notices(
        kind=kind,
        incident=deadline.incident,
        users=users,
        payload=cadence_payload(kind, deadline, message),
        now=now,
        deadline=deadline,
        audience=deadline.audience,
    )


def write_notices(
    *,
    kind: str,
    incident: Incident,
    users: Iterable[AbstractBaseUser],
    payload: dict[str, Any],
    now: datetime,
    deadline: Deadline | None = None,
    audience: str = "",
) -> list[Delivery]:
    """Write one notice to people: in-app, plus e-mail for those with an address.

    Generic on purpose: other apps (e.g. action-item reminders) pass their own
    `kind` and `payload` (with "title" and "message" for the transports).
    """
    rows = []
    for user in {u.pk: u for u in users}.values():
        email = getattr(user, user.get_email_field_name(), "")
        channels = [(Channel.INAPP, "")] + ([(Channel.EMAIL, email)] if email else [])
        for channel, target in channels:
            if not _allowed(incident, channel):
                continue
            rows.append(
                Delivery(
                    kind=kind,
                    incident=incident,
                    deadline=deadline,
                    user=cast(User, user),  # AUTH_USER_MODEL
                    channel=channel,
                    target=target,
                    audience=audience,
                    payload=payload,
                    is_drill=incident.is_drill,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(rows)
    return rows


# --- Handing work to the workers ---------------------------------------------------------------


def enqueue(delivery_ids: Sequence[Any]) -> None:
    """Send delivery ids to the workers in batches; a broker outage only delays them."""
    ids = [str(i) for i in delivery_ids]
    for start in range(0, len(ids), BATCH_SIZE):
        try:
            current_app.send_task(DELIVER_TASK, args=[ids[start : start + BATCH_SIZE]])
        except Exception:  # noqa: BLE001 - any broker error: the sweeper re-drives the rows
            log.warning(
                "Broker unavailable; %d deliveries left for the sweeper",
                len(ids) - start,
                exc_info=True,
            )
            return


# The public status page's customer e-mail (publicstatus, a layer above): handed over by
# task name, never imported. Its beat sweep catches up if the broker loses this.
CUSTOMER_UPDATE_TASK = "publicstatus.tasks.notify_customer_update_task"


def hand_customer_update_after_commit(update_id: int) -> None:
    """After commit, tell the public status page a customer rendition was published."""

    def send() -> None:
        try:
            current_app.send_task(CUSTOMER_UPDATE_TASK, args=[update_id])
        except Exception:  # noqa: BLE001 - any broker error: publicstatus' sweep catches up
            log.warning("Broker unavailable; customer update %s left for the sweep", update_id)

    transaction.on_commit(send)


def enqueue_after_commit(deliveries: Sequence[Delivery]) -> None:
    ids = [d.id for d in deliveries]
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
