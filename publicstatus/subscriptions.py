"""Customer e-mail subscriptions: sign up (double opt-in), confirm, unsubscribe in one click.

No account: a subscriber is an address (stored to send, never shown; found by
its keyed hash), the components it follows (or all), and a nonce carried in
every link it receives. A confirmation link is a signed token that expires
(STATUS_SUBSCRIBE_CONFIRM_HOURS); an unsubscribe link is a signed token that
does not, voided by a new nonce when the address signs up again. Sign-ups are
counted per client address and per e-mail in the database, so every web
process shares the limits; past them the caller gets 429 with Retry-After.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import MonitoredModel
from kit.errors import DomainError
from publicstatus import outbox
from publicstatus.links import (
    CONFIRM_SALT,
    UNSUBSCRIBE_SALT,
    confirm_url,
    earlier_keyed_hashes,
    keyed_hash,
)
from publicstatus.models import Notice, SignupAttempt, Subscriber

WINDOW = timedelta(hours=1)


class Throttled(DomainError):
    """Too many sign-ups from this client or for this address."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadLink(DomainError):
    """A confirmation or unsubscribe link that is forged, expired or replaced."""


def _throttle(*, client_hash: str, address_hash: str, now: datetime) -> None:
    """Raise Throttled when this client or this address has used up its sign-ups: one query."""
    since = now - WINDOW
    limits = (
        ("client", client_hash, settings.STATUS_SIGNUP_LIMIT_PER_CLIENT),
        ("address", address_hash, settings.STATUS_SIGNUP_LIMIT_PER_EMAIL),
    )
    recent = SignupAttempt.objects.filter(at__gte=since).filter(
        Q(client_hash=client_hash) | Q(address_hash=address_hash)
    )
    rows = list(recent.order_by("-at").values_list("client_hash", "address_hash", "at")[:200])
    for kind, value, limit in limits:
        mine = [at for c, a, at in rows if (c if kind == "client" else a) == value]
        if len(mine) >= limit:
            # The oldest counted attempt leaves the window first.
            oldest = sorted(mine, reverse=True)[limit - 1]
            wait = max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
            raise Throttled(f"Too many sign-ups; try again in {wait} seconds.", retry_after=wait)


def _components(slugs: Iterable[str]) -> list[MonitoredModel]:
    wanted = sorted(set(slugs))
    found = list(
        MonitoredModel.objects.filter(slug__in=wanted, is_active=True, is_drill=False).exclude(
            public_component__customer_facing=False
        )
    )
    if len(found) != len(wanted):
        raise DomainError("Choose components from the list.", field="components")
    return found


def sign_up(
    *,
    address: str,
    client: str,
    components: Iterable[str] = (),
    now: datetime | None = None,
) -> None:
    """Start a subscription and mail its confirmation link; an active address gets nothing.

    Whatever happens, the caller answers the same, so nobody learns whether an
    address is subscribed. `components` empty means all of them.
    """
    now = now or timezone.now()
    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise DomainError("Enter a valid e-mail address.", field="email") from None
    if len(address) > 254:
        raise DomainError("Enter a valid e-mail address.", field="email")
    address_hash, client_hash = keyed_hash(address), keyed_hash("client:" + client)
    _throttle(client_hash=client_hash, address_hash=address_hash, now=now)
    models = _components(components)
    with transaction.atomic():
        SignupAttempt.objects.create(client_hash=client_hash, address_hash=address_hash, at=now)
        _rehash(address, address_hash)
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(
            address_hash=address_hash, defaults={"address": address, "nonce": ""}
        )
        if subscriber.is_active:
            return
        subscriber.address = address
        subscriber.nonce = secrets.token_hex(16)
        subscriber.confirmed_at = subscriber.unsubscribed_at = None
        subscriber.all_components = not models
        subscriber.save()
        subscriber.components.set(models)
        link = confirm_url(subscriber)
        hours = settings.STATUS_SUBSCRIBE_CONFIRM_HOURS
        outbox.write(
            [subscriber],
            kind=Notice.Kind.CONFIRM,
            source=f"confirm-{subscriber.nonce}",
            subject=f"Confirm your subscription to {settings.STATUS_PAGE_NAME} status",
            body=(
                "Someone (we hope you) asked to receive status updates at this address.\n\n"
                f"Confirm within {hours} hours: {link}\n\n"
                "If it was not you, ignore this message: nothing will be sent."
            ),
            now=now,
        )


def _rehash(address: str, address_hash: str) -> None:
    """Move the address's row from a hash under an earlier SECRET_KEY to the current one.

    After a key rotation the same address hashes differently; without this, signing up
    again would make a second subscriber (and send every notice twice). Only keys still
    in SECRET_KEY_FALLBACKS are tried (docs/deploy.md, "Key rotation").
    """
    earlier = earlier_keyed_hashes(address)
    if not earlier or Subscriber.objects.filter(address_hash=address_hash).exists():
        return
    row = Subscriber.objects.select_for_update().filter(address_hash__in=earlier).first()
    if row is not None:
        row.address_hash = address_hash
        row.save(update_fields=["address_hash"])


def _subscriber(token: str, *, salt: str, max_age: timedelta | None) -> Subscriber:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadLink("This link has expired: please subscribe again.") from None
    except signing.BadSignature:
        raise BadLink("This link is not valid.") from None
    subscriber = Subscriber.objects.filter(pk=data.get("s"), nonce=data.get("n")).first()
    if subscriber is None:
        raise BadLink("This link is no longer valid.")
    return subscriber


def check_confirm_link(token: str) -> Subscriber:
    hours = settings.STATUS_SUBSCRIBE_CONFIRM_HOURS
    return _subscriber(token, salt=CONFIRM_SALT, max_age=timedelta(hours=hours))


def confirm(token: str, *, now: datetime | None = None) -> Subscriber:
    """Activate the subscription the confirmation link names (idempotent)."""
    subscriber = check_confirm_link(token)
    Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(
        confirmed_at=now or timezone.now()
    )
    subscriber.refresh_from_db()
    return subscriber


def check_unsubscribe_link(token: str) -> Subscriber:
    return _subscriber(token, salt=UNSUBSCRIBE_SALT, max_age=None)


def unsubscribe(token: str, *, now: datetime | None = None) -> Subscriber:
    """End the subscription the link names (idempotent); pending notices are not sent."""
    subscriber = check_unsubscribe_link(token)
    Subscriber.objects.filter(pk=subscriber.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now or timezone.now()
    )
    subscriber.refresh_from_db()
    return subscriber
