"""The signed links a subscriber receives, and the keyed hash that finds an address."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core import signing

from publicstatus.models import Subscriber

CONFIRM_SALT = "publicstatus.subscribe.confirm"
UNSUBSCRIBE_SALT = "publicstatus.subscribe.unsubscribe"


def keyed_hash(value: str, *, key: str | None = None) -> str:
    """HMAC-SHA256 of the normalised value under SECRET_KEY (or the given key)."""
    secret = (settings.SECRET_KEY if key is None else key).encode()
    return hmac.new(secret, value.strip().lower().encode(), hashlib.sha256).hexdigest()


def earlier_keyed_hashes(value: str) -> list[str]:
    """The value's hashes under SECRET_KEY_FALLBACKS: where a row sits after a key rotation."""
    return [keyed_hash(value, key=key) for key in settings.SECRET_KEY_FALLBACKS]


def confirm_token(subscriber: Subscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "n": subscriber.nonce}, salt=CONFIRM_SALT)


def unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "n": subscriber.nonce}, salt=UNSUBSCRIBE_SALT)


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirm_url(subscriber: Subscriber) -> str:
    return site_url(f"/status/public/subscribe/confirm/{confirm_token(subscriber)}/")


def unsubscribe_url(subscriber: Subscriber) -> str:
    return site_url(f"/status/public/unsubscribe/{unsubscribe_token(subscriber)}/")
