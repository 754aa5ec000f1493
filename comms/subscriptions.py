"""Subscriptions: who hears about which updates, and how; and a test send.

A user subscription belongs to its user (in-app inbox, plus e-mail if
wanted); any incident reader may keep their own, executives included, since
choosing what lands in one's own inbox changes no incident. An endpoint
subscription (e-mail address, Slack, signed webhook, Apprise) speaks for the
organisation, so only commander-eligible users and admins manage those.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from comms import fanout, outbound
from comms.models import Channel, Delivery, Subscription, new_secret
from incidents import permissions
from incidents.choices import Audience, Severity
from incidents.models import MonitoredModel
from kit.errors import Conflict, DomainError, NotPermitted

ENDPOINT_CHANNELS = (Channel.EMAIL, Channel.SLACK, Channel.WEBHOOK, Channel.APPRISE)
MAX_TEAMS = 50
EDITABLE = (
    "name",
    "audience",
    "min_severity",
    "models",
    "teams",
    "include_drills",
    "email",
    "is_active",
    "target",
)


def visible_to(user: AbstractBaseUser) -> QuerySet[Subscription]:
    """Return the subscriptions `user` may see and manage.

    Admins see all; commander-eligible users their own and every endpoint
    subscription; anyone else only their own.
    """
    subscriptions = Subscription.objects.all()
    if permissions.is_admin(user):
        return subscriptions
    if permissions.is_commander_eligible(user):
        return subscriptions.filter(Q(user=user) | Q(user__isnull=True))
    return subscriptions.filter(user=cast(User, user))


def _check_manager(by: AbstractBaseUser, *, endpoint: bool) -> None:
    if not permissions.can_read_incidents(by):
        raise NotPermitted("Only incident readers may subscribe to updates.")
    if endpoint and not permissions.is_commander_eligible(by):
        raise NotPermitted(
            "Only commander-eligible users and admins manage endpoint subscriptions."
        )


def _check_owner(subscription: Subscription, by: AbstractBaseUser) -> None:
    _check_manager(by, endpoint=subscription.user_id is None)
    if (
        subscription.user_id is not None
        and subscription.user_id != by.pk
        and not permissions.is_admin(by)
    ):
        raise NotPermitted("You may manage only your own subscriptions.")


def validate_target(channel: str, target: str) -> str:
    """Return the cleaned target of an endpoint channel, or raise naming `target`."""
    if outbound.control_character_in(target or ""):
        raise DomainError("target refused: contains a control character.", field="target")
    target = (target or "").strip()
    if not target:
        raise DomainError("target is required for an endpoint subscription.", field="target")
    if len(target) > 1000:
        raise DomainError("target is at most 1000 characters.", field="target")
    try:
        if channel == Channel.EMAIL:
            validate_email(target)
        elif channel in (Channel.SLACK, Channel.WEBHOOK):
            URLValidator(schemes=["http", "https"])(target)
    except ValidationError:
        what = "an e-mail address" if channel == Channel.EMAIL else "an http(s) URL"
        raise DomainError(f"A {channel} target must be {what}.", field="target") from None
    _check_outbound(channel, target)
    if channel == Channel.APPRISE:
        import apprise

        if apprise.Apprise.instantiate(target) is None:
            raise DomainError(
                "Apprise does not understand this URL (e.g. discord://…, msteams://…).",
                field="target",
            )
    return target


def _check_outbound(channel: str, target: str) -> None:
    """Refuse targets that would reach what they should not (comms/outbound.py)."""
    if channel == Channel.EMAIL:
        return  # sent through the configured SMTP host, never to the address's host
    if channel == Channel.APPRISE:
        schemes = outbound.apprise_allowed_schemes()
    else:
        schemes = frozenset({"http", "https"})
    try:
        outbound.check_target(
            target, schemes=schemes, resolve=outbound.names_a_host(channel, target)
        )
    except outbound.OutboundRefused as exc:
        raise DomainError(
            f"target refused: {str(exc).removeprefix('refused: ')}.", field="target"
        ) from None


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(changes)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise DomainError("name is required.", field="name")
    if "audience" in cleaned and cleaned["audience"] not in Audience.values:
        raise DomainError(f"Unknown audience {cleaned['audience']!r}.", field="audience")
    if "min_severity" in cleaned and cleaned["min_severity"] not in Severity.values:
        raise DomainError("min_severity is 1 (SEV1) to 4 (SEV4).", field="min_severity")
    if "teams" in cleaned:
        teams = list(dict.fromkeys(str(t).strip() for t in cleaned["teams"] if str(t).strip()))
        if len(teams) > MAX_TEAMS:
            raise DomainError(f"At most {MAX_TEAMS} teams.", field="teams")
        cleaned["teams"] = teams
    return cleaned


def create_subscription(
    *,
    by: AbstractBaseUser,
    name: str,
    audience: str,
    channel: str = "",
    target: str = "",
    models: Iterable[MonitoredModel] = (),
    **fields: Any,
) -> Subscription:
    """Subscribe `by` (no channel) or an external endpoint (a channel and target)."""
    endpoint = bool(channel)
    _check_manager(by, endpoint=endpoint)
    unknown = set(fields) - {"min_severity", "teams", "include_drills", "email", "is_active"}
    if unknown:
        raise DomainError(
            f"{sorted(unknown)[0]} is not a field of a subscription.", field=sorted(unknown)[0]
        )
    cleaned = _clean({"name": name, "audience": audience, **fields})
    if endpoint:
        if channel not in ENDPOINT_CHANNELS:
            raise DomainError(
                "An endpoint channel is email, slack, webhook or apprise; "
                "omit channel to subscribe yourself (in-app inbox and e-mail).",
                field="channel",
            )
        cleaned.update(channel=channel, target=validate_target(channel, target), user=None)
    else:
        if (target or "").strip():
            raise DomainError(
                "target needs a channel; without one the subscription is yours.", field="target"
            )
        cleaned.update(channel="", target="", user=by)
    with transaction.atomic():
        subscription = Subscription.objects.create(created_by=cast(User, by), **cleaned)
        subscription.monitored_models.set(list(models))
    return subscription


def update_subscription(
    *, subscription: Subscription, by: AbstractBaseUser, **changes: Any
) -> Subscription:
    """Change some fields; the channel stays (create a new subscription to change it)."""
    _check_owner(subscription, by)
    if "channel" in changes and changes["channel"] != subscription.channel:
        raise DomainError(
            "channel cannot change; create a new subscription instead.", field="channel"
        )
    changes.pop("channel", None)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(f"{sorted(unknown)[0]} cannot be changed.", field=sorted(unknown)[0])
    cleaned = _clean(changes)
    if "target" in cleaned:
        if subscription.user_id is not None:
            raise DomainError(
                "A user subscription has no target; it delivers to its user.", field="target"
            )
        cleaned["target"] = validate_target(subscription.channel, cleaned["target"])
    models = cleaned.pop("models", None)
    with transaction.atomic():
        for name, value in cleaned.items():
            setattr(subscription, name, value)
        subscription.save()
        if models is not None:
            subscription.monitored_models.set(list(models))
    return subscription


def delete_subscription(*, subscription: Subscription, by: AbstractBaseUser) -> None:
    """Remove a subscription; its past deliveries stay (they lose the link)."""
    _check_owner(subscription, by)
    subscription.delete()


def rotate_secret(*, subscription: Subscription, by: AbstractBaseUser) -> Subscription:
    """Give a webhook subscription a new signing secret; the old one stops working at once."""
    _check_owner(subscription, by)
    if subscription.channel != Channel.WEBHOOK:
        raise Conflict("Only webhook subscriptions sign their payloads.", field="channel")
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret"])
    return subscription


def _test_payload(subscription: Subscription, by: AbstractBaseUser, now: Any) -> dict[str, Any]:
    return {
        "type": "test",
        "title": f"Test notification: {subscription.name}",
        "subscription": {
            "id": subscription.pk,
            "name": subscription.name,
            "audience": subscription.audience,
        },
        "message": f"Test message from the Incident Command Console, sent by {by.get_username()}.",
        "sent_at": now.isoformat(),
    }


def send_test(*, subscription: Subscription, by: AbstractBaseUser) -> Sequence[Delivery]:
    """Write a test delivery per channel of the subscription; workers send it after commit."""
    _check_owner(subscription, by)
    now = timezone.now()
    user = subscription.user
    channels: list[tuple[str, str]]
    if user is not None:
        channels = [(Channel.INAPP, "")]
        if subscription.email and user.email:
            channels.append((Channel.EMAIL, user.email))
    else:
        channels = [(subscription.channel, subscription.target)]
    payload = _test_payload(subscription, by, now)
    with transaction.atomic():
        rows = Delivery.objects.bulk_create(
            Delivery(
                kind=Delivery.Kind.TEST,
                subscription=subscription,
                user=user,
                channel=channel,
                target=target,
                audience=subscription.audience,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for channel, target in channels
        )
        fanout.enqueue_after_commit(rows)
    return rows
