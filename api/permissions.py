"""Who may call which endpoint, by organisation-level group.

These classes answer "may this user touch this kind of resource at all";
incident-level rights (decision rights, who assigns roles) are checked again
by the services, so no client can step around them.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from incidents import permissions


class _GroupPermission(BasePermission):
    """Require a signed-in user, then defer to `can_read` / `can_write`.

    A method the view does not offer passes here so that the view answers
    405 (not 403) to everyone signed in: the log's 405 must not depend on
    who asks.
    """

    message = "You do not have permission to perform this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True
        if request.method in SAFE_METHODS:
            return self.can_read(user)
        return self.can_write(user, view)

    def can_read(self, user: Any) -> bool:
        raise NotImplementedError

    def can_write(self, user: Any, view: Any) -> bool:
        raise NotImplementedError


class IncidentAccess(_GroupPermission):
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


class GlossaryAccess(_GroupPermission):
    """Everyone signed in reads the glossary; responders, commanders and admins edit it."""

    message = "Only responders, commanders and admins may edit the glossary."

    def can_read(self, user: Any) -> bool:
        return True

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_respond(user)
