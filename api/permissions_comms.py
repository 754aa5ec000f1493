"""Who may call the comms endpoints, by organisation-level group.

As in api/permissions.py, these answer "may this user touch this kind of
resource at all"; the comms services check incident roles again (only the
regulator liaison signs off, only the commander or comms lead publishes,
only the commander snoozes).
"""

from __future__ import annotations

from typing import Any

from api.permissions import _GroupPermission
from incidents import permissions


class UpdateAccess(_GroupPermission):
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


class SelfServiceAccess(_GroupPermission):
    """One's own subscriptions and inbox: every incident reader, executives included.

    Choosing what lands in one's own inbox changes no incident, so it is not
    a write in the executives' read-only sense. Endpoint subscriptions need
    commander eligibility: the service checks that.
    """

    message = "Only incident readers have subscriptions and an inbox."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_incidents(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return permissions.can_read_incidents(user)


class DeliveryAccess(_GroupPermission):
    """The outbox, for operators: responders, commanders and admins read it; nobody writes."""

    message = "Only responders, commanders and admins read deliveries."

    def can_read(self, user: Any) -> bool:
        return permissions.can_respond(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return False


class RegulatorChannelAccess(_GroupPermission):
    """Signed-off, published regulator renditions: regulator viewers and incident readers."""

    message = "Only regulator viewers and incident readers see the regulator channel."

    def can_read(self, user: Any) -> bool:
        return permissions.can_read_regulator_channel(user)

    def can_write(self, user: Any, view: Any) -> bool:
        return False


class SignedInAccess(_GroupPermission):
    """Any signed-in user (the jargon check reads the glossary only)."""

    def can_read(self, user: Any) -> bool:
        return True

    def can_write(self, user: Any, view: Any) -> bool:
        return True
