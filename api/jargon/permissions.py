"""Who may run the jargon check: anyone signed in."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission


class SignedInAccess(GroupPermission):
    """Any signed-in user (the jargon check reads the glossary only)."""

    def can_read(self, user: Any) -> bool:
        return True

    def can_write(self, user: Any, view: Any) -> bool:
        return True
