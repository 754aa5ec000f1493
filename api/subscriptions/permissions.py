"""Who has subscriptions and an inbox (the inbox endpoints use this class too)."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class SelfServiceAccess(GroupPermission):
    """One's own subscriptions and inbox: every incident reader, executives included.

    Choosing what lands in one's own inbox changes no incident, so it is not
    a write in the executives' read-only sense. Endpoint subscriptions need
    commander eligibility: the service checks that.
    """

    message = "Only incident readers have subscriptions and an inbox."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_read_incidents(user)
