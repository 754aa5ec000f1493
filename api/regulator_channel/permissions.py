"""Who may read the regulator channel."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class RegulatorChannelAccess(GroupPermission):
    """Signed-off, published regulator renditions: regulator viewers and incident readers."""

    message = "Only regulator viewers and incident readers see the regulator channel."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_regulator_channel(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return False
