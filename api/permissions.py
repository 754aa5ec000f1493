"""The base of every API permission class: "may this user touch this kind of resource at all".

Each resource package has its own permissions.py with the classes its views
use; they ask incidents/permissions.py (organisation-level groups) and never
re-implement a rule. Incident-level rights (decision rights, who assigns
roles, who signs off) are checked again by the services, so no client can step
around them.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


class GroupPermission(BasePermission):
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
        method = (request.method or "").lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True
        if request.method in SAFE_METHODS:
            return self.can_read(user)
        return self.can_write(user, view)

    def can_read(self, user: Any) -> bool:
        raise NotImplementedError

    def can_write(self, user: Any, view: Any) -> bool:
        raise NotImplementedError
