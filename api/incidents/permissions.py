"""Who may call the incident endpoints (and the log, monitored models, playbooks and metrics that share their readers)."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class IncidentAccess(GroupPermission):
    """Incidents, roles, milestones, the log, models, metrics and playbooks.

    Responders, commanders, executives and admins read; only responders,
    commanders and admins write. Regulator viewers and users without a group
    see nothing here (they get the regulator channel and the glossary).
    """

    message = "Only responders and commanders may change incidents; executives read only."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_respond(user)


class DeclareAccess(IncidentAccess):
    """Reading the incident list as above; declaring needs commander eligibility."""

    message = "Only commander-eligible users may declare incidents."

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.is_commander_eligible(user)
