"""Slack incoming webhook: one Block Kit message per delivery.

Slack answers 200 "ok"; 4xx (404 no_service, 410 channel_is_archived,
403 action_prohibited …) is permanent, 429 and 5xx are transient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from comms.transports import Message, message_for, post

if TYPE_CHECKING:
    from comms.models import Delivery

# Slack's documented incoming-webhook error codes: named in `last_error` when Slack answers one.
SLACK_ERRORS = frozenset(
    {
        "invalid_payload",
        "user_not_found",
        "channel_not_found",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "too_many_attachments",
        "no_service",
        "no_service_id",
        "no_team",
        "team_disabled",
        "invalid_token",
        "rate_limited",
    }
)
# Block Kit limits: header text 150 characters, section text 3000.
HEADER_MAX = 150
SECTION_MAX = 3000


def blocks(msg: Message) -> list[dict[str, Any]]:
    """Return the Block Kit blocks of *msg*: header, summary, detail, context, buttons."""
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(msg.title, HEADER_MAX), "emoji": False},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _cut(_escape(msg.summary) or " ", SECTION_MAX)},
        },
    ]
    if msg.detail:
        out.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cut(_escape(msg.detail), SECTION_MAX)},
            }
        )
    if msg.context:
        out.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _escape(msg.context)}]}
        )
    buttons = []
    if msg.url:
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open incident"},
                "url": msg.url,
                "action_id": "open_incident",
                "style": "primary",
            }
        )
    if msg.feedback_url:
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Rate this update"},
                "url": msg.feedback_url,
                "action_id": "rate_update",
            }
        )
    if buttons:
        out.append({"type": "actions", "elements": buttons})
    return out


def notify(delivery: Delivery, *, http: httpx.Client) -> int:
    msg = message_for(delivery.payload)
    # `text` is the fallback shown in notifications and to screen readers.
    body = {"text": msg.title, "blocks": blocks(msg)}
    return post(http, delivery.target, json=body, known_errors=SLACK_ERRORS).status_code


def _escape(text: str) -> str:
    # Slack's mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
