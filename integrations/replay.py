"""Remember signatures already accepted, so a captured signed request cannot be replayed.

The timestamp bounds a signature's life to the skew window; inside that window
the same signature would otherwise be accepted again. Each accepted signature
is stored with SET NX (Django's `cache.add`) in the Redis every web process
shares, for twice the skew window (a timestamp may be up to the skew ahead of
our clock as well as behind it). When Redis cannot answer we cannot tell a
replay from a first delivery, so the request is refused with 503 (fail
closed); the sender retries.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from rest_framework import exceptions, status

logger = logging.getLogger(__name__)


class ReplayCheckUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Signed deliveries cannot be checked for replay right now (the cache is unavailable); retry later."
    default_code = "replay_check_unavailable"


def _seen_key(key_digest: str, signature: str) -> str:
    digest = hashlib.sha256(signature.lower().encode()).hexdigest()[:40]
    return f"signature-seen:{key_digest[:24]}:{digest}"


def release_signature(*, key_digest: str, signature: str) -> None:
    """Forget a claimed signature: the delivery was refused (429, 400, 5xx), so its retry is no replay."""
    try:
        cache.delete(_seen_key(key_digest, signature))
    except Exception as exc:  # the retry then meets a 401; the claim still expires with its TTL
        logger.warning("could not release a signature claim: %s", exc)


def claim_signature(*, key_digest: str, signature: str) -> bool:
    """Record `signature` for the key; return False if it was already seen within the window."""
    ttl = 2 * settings.INTEGRATION_SIGNATURE_MAX_SKEW_SECONDS
    try:
        return bool(cache.add(_seen_key(key_digest, signature), 1, timeout=ttl))
    except Exception as exc:  # any cache failure: refuse rather than risk a replay
        logger.warning("replay check unavailable: %s", exc)
        raise ReplayCheckUnavailable() from None
