"""Who may read and change action items."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class ActionItemAccess(GroupPermission):
    """Incident readers read action items (executives too); responders and commanders write."""

    message = "Only responders and commanders change action items; executives read only."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_respond(user)
