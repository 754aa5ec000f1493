"""E-mail through Django's mail backends (MAILERS["default"]).

Plain text: the summary first, then the detail, then the links. SMTP trouble
is transient; an address the server refuses (or that is not an address) is
permanent.
"""

from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING

import httpx
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from comms.transports import PermanentError, TransientError, message_for

if TYPE_CHECKING:
    from comms.models import Delivery


def render(delivery: Delivery) -> tuple[str, str]:
    """Return the subject and plain-text body of *delivery*."""
    msg = message_for(delivery.payload)
    parts = [msg.summary, msg.detail]
    if msg.url:
        parts.append(f"Incident: {msg.url}")
    if msg.feedback_url:
        parts.append(f"Was this update clear and useful? Rate it in one click: {msg.feedback_url}")
    if msg.context:
        parts.append(f"-- \n{msg.context}")
    return msg.title, "\n\n".join(p.strip() for p in parts if p and p.strip()) + "\n"


def notify(delivery: Delivery, *, http: httpx.Client) -> None:
    try:
        validate_email(delivery.target)
    except ValidationError:
        raise PermanentError(f"not an e-mail address: {delivery.target[:80]!r}") from None
    subject, body = render(delivery)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[delivery.target],
        headers={"X-ICC-Delivery": str(delivery.id), "Auto-Submitted": "auto-generated"},
    )
    try:
        message.send(using="default")
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise PermanentError(f"refused by the mail server: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        # Connection refused, timeouts, 4xx greylisting, a server hanging up.
        raise TransientError(f"mail server: {type(exc).__name__}: {exc}") from exc
    except ValueError as exc:  # header injection and malformed addresses
        raise PermanentError(f"invalid message: {exc}") from exc
