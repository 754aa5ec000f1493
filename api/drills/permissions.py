"""Who may read and run drills (learning.drills checks again)."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class DrillAccess(GroupPermission):
    """Incident readers read drills; commander-eligible users run them."""

    message = "Only commander-eligible users may run drills; others read only."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.is_commander_eligible(user)
