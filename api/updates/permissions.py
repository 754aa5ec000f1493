"""Who may call the update endpoints (and deadlines and feedback, which share their readers).

The comms services check incident roles again: only the regulator liaison
signs off, only the commander or comms lead publishes, only the commander
snoozes.
"""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class UpdateAccess(GroupPermission):
    """Updates, deadlines and feedback of an incident.

    Incident readers read (executives only published updates: the views
    filter); responders, commanders and admins write. Regulator viewers get
    only the regulator channel.
    """

    message = "Only responders and commanders may write updates; executives read only."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_respond(user)
