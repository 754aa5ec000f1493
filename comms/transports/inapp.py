"""In-app inbox: the delivery row is the message; nothing travels.

The inbox lists deliveries with channel "inapp" for the user; `read_at` is set
when the user reads one. Delivering it only marks it delivered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from comms.transports import PermanentError

if TYPE_CHECKING:
    from comms.models import Delivery


def notify(delivery: Delivery, *, http: httpx.Client) -> None:
    if delivery.user_id is None:
        raise PermanentError("in-app delivery without a user")
