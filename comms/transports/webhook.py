"""Generic webhook signed per the Standard Webhooks specification.

Headers `webhook-id` (the delivery id: stable across retries, the receiver's
idempotency key), `webhook-timestamp` (this attempt) and `webhook-signature`
(HMAC-SHA256 with the subscription secret, via the `standardwebhooks`
library). The body is `{"type", "timestamp", "data"}`, where `timestamp` is
when the event happened, so every retry carries the same body.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from standardwebhooks import Webhook

from comms.transports import PermanentError, post

if TYPE_CHECKING:
    from comms.models import Delivery


def body(delivery: Delivery) -> str:
    """Return the JSON body of *delivery*: the same bytes on every attempt."""
    envelope: dict[str, Any] = {
        "type": delivery.payload.get("type", "test"),
        "timestamp": delivery.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def signed_headers(
    delivery: Delivery, content: str, *, at: datetime | None = None
) -> dict[str, str]:
    """Return the Standard Webhooks headers of *content*; PermanentError without a usable secret."""
    secret = delivery.subscription.secret if delivery.subscription is not None else ""
    if not secret:
        raise PermanentError("no signing secret: the subscription is gone")
    try:
        signer = Webhook(secret)
    except Exception as exc:  # noqa: BLE001 - the library raises bare Exceptions for bad base64
        raise PermanentError(f"unusable signing secret: {exc}") from exc
    at = at or datetime.now(UTC)
    msg_id = str(delivery.id)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signer.sign(msg_id, at, content),
        "content-type": "application/json",
    }


def notify(delivery: Delivery, *, http: httpx.Client) -> int:
    content = body(delivery)
    headers = signed_headers(delivery, content)
    return post(http, delivery.target, content=content.encode(), headers=headers).status_code
