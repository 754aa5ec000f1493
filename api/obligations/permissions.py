"""Who may touch regulatory obligations at all: incident readers read, responders write (the
services then ask incidents.rights for the regulator liaison or the commander)."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class ObligationAccess(GroupPermission):
    message = "Only the incident's regulator liaison or commander may change its obligations; others read."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_respond(user)
