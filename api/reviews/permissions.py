"""Who may read and change post-incident reviews, and read the taxonomies."""

from __future__ import annotations

from typing import Any

from api.permissions import GroupPermission
from incidents import permissions


class ReviewAccess(GroupPermission):
    """Incident readers and regulator viewers read (the views filter); responders and commanders write."""

    message = (
        "Only responders and commanders change reviews; executives and regulator viewers read only."
    )

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user) or permissions.is_regulator_viewer(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_respond(user)


class TaxonomyAccess(GroupPermission):
    """Published taxonomies are public data: anyone signed in reads them."""

    def can_read(self, user: Any) -> bool:
        return True

    def can_write(self, user: Any, view: Any) -> bool:
        return False
