"""Who may ask for evidence packs at all: responders and commanders (the view asks incidents.rights next)."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class EvidenceAccess(GroupPermission):
    message = "Only the incident's commander or regulator liaison may export its evidence pack."

    def can_read(self, user: Any) -> bool:
        return permissions.can_respond(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return False
