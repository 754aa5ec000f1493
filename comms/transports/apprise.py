"""Apprise URLs: Teams, Discord, Mattermost, Telegram … (https://github.com/caronc/Apprise).

Apprise does its own HTTP and only says yes or no, so a failed send is
transient (bounded by the maximum number of attempts); a URL Apprise does not
understand is permanent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import apprise
import httpx

from comms.transports import PermanentError, TransientError, message_for

if TYPE_CHECKING:
    from comms.models import Delivery


def notify(delivery: Delivery, *, http: httpx.Client) -> None:
    msg = message_for(delivery.payload)
    sender = apprise.Apprise()
    if not sender.add(delivery.target):
        raise PermanentError("not an Apprise URL this server understands")
    lines = [msg.summary, msg.detail, msg.url, msg.feedback_url and f"Rate this update: {msg.feedback_url}"]
    try:
        result = sender.notify(title=msg.title, body="\n\n".join(line for line in lines if line))
    except Exception as exc:  # noqa: BLE001 - a plugin bug must not kill the batch
        raise TransientError(f"Apprise raised {type(exc).__name__}: {exc}") from exc
    if not result:
        errors = [entry.message for entry in result.logs() if entry.level in ("WARNING", "ERROR")]
        raise TransientError("; ".join(errors)[:500] or "Apprise reported a failure")
