"""Who may read the outbox."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class DeliveryAccess(GroupPermission):
    """The outbox, for operators: responders, commanders and admins read it; nobody writes."""

    message = "Only responders, commanders and admins read deliveries."

    def can_read(self, user: Any) -> bool:
        return permissions.can_respond(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return False
