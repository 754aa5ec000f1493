"""Who may read and edit the glossary over the API."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class GlossaryAccess(GroupPermission):
    """Everyone signed in reads the glossary; responders, commanders and admins edit it."""

    message = "Only responders, commanders and admins may edit the glossary."

    def can_read(self, user: Any) -> bool:
        return True

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_respond(user)
