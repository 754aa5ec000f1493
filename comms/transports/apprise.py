"""Apprise URLs: Teams, Discord, Mattermost, Telegram … (https://github.com/caronc/Apprise).

Apprise does its own HTTP and only says yes or no, so a failed send is
transient (bounded by the maximum number of attempts); a URL Apprise does not
understand is permanent.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import apprise
import httpx

from comms import outbound
from comms.transports import PermanentError, TransientError, message_for

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from comms.models import Delivery


def notify(delivery: Delivery, *, http: httpx.Client) -> None:
    msg = message_for(delivery.payload)
    try:
        # Again at send time: the allow-list may have narrowed since the row was made.
        outbound.check_target(
            delivery.target, schemes=outbound.apprise_allowed_schemes(), resolve=False
        )
    except outbound.OutboundRefused as exc:
        raise PermanentError(f"target refused: {exc}") from None
    sender = apprise.Apprise()
    if not sender.add(delivery.target):
        raise PermanentError("not an Apprise URL this server understands")
    lines = [
        msg.summary,
        msg.detail,
        msg.url,
        msg.feedback_url and f"Rate this update: {msg.feedback_url}",
    ]
    try:
        # Every host the plugin resolves (and each redirect hop) is checked.
        with outbound.guarded() as guard:
            result = sender.notify(
                title=msg.title, body="\n\n".join(line for line in lines if line)
            )
    except Exception as exc:  # noqa: BLE001 - a plugin bug must not kill the batch
        raise TransientError(f"Apprise raised {type(exc).__name__}") from exc
    if guard.refused:
        raise PermanentError(guard.refused)
    if not result:
        # Apprise's own messages can quote the service's answer: keep them in the worker log.
        for entry in result.logs():
            log.info("apprise (delivery %s): %s", delivery.pk, entry.message)
        raise TransientError("the Apprise service did not accept the message")
