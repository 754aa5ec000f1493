"""Who may read and run scheduled maintenance."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions
from publicstatus.maintenance import can_manage


class MaintenanceAccess(GroupPermission):
    """Incident readers read every window (drafts too); commanders and admins run them."""

    message = "Only commanders may schedule and run maintenance."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return can_manage(user)
