"""Organisation-level access, by Django group.

Incident-level rights (which role may take which decision) live in the
playbook; these helpers answer what a user may do anywhere.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin

from incidents.choices import (
    GROUP_ADMIN,
    GROUP_COMMANDER,
    GROUP_EXECUTIVE,
    GROUP_REGULATOR,
    GROUP_RESPONDER,
)

User = AbstractBaseUser | AnonymousUser


def group_names(user: User) -> frozenset[str]:
    """Return the user's group names, cached on the user for the request."""
    if not user.is_authenticated or not isinstance(user, PermissionsMixin):
        return frozenset()  # anonymous, or a user model without groups
    cached: frozenset[str] | None = getattr(user, "_icc_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, "_icc_groups", cached)  # noqa: B010  a per-request cache on the user object
    return cached


def is_admin(user: User) -> bool:
    superuser = isinstance(user, PermissionsMixin) and user.is_superuser
    return bool(user.is_authenticated and (superuser or GROUP_ADMIN in group_names(user)))


def is_commander_eligible(user: User) -> bool:
    return is_admin(user) or GROUP_COMMANDER in group_names(user)


def can_respond(user: User) -> bool:
    """Return whether the user may write to incidents (notes, roles, decisions)."""
    return is_admin(user) or bool(group_names(user) & {GROUP_RESPONDER, GROUP_COMMANDER})


def can_read_incidents(user: User) -> bool:
    """Responders, commanders, executives and admins read incidents.

    Regulator/partner viewers see only the regulator channel.
    """
    return can_respond(user) or GROUP_EXECUTIVE in group_names(user)


def is_executive(user: User) -> bool:
    return GROUP_EXECUTIVE in group_names(user) and not can_respond(user)


def is_regulator_viewer(user: User) -> bool:
    return GROUP_REGULATOR in group_names(user) and not can_read_incidents(user)


def can_read_regulator_channel(user: User) -> bool:
    """Signed-off regulator renditions: regulator/partner viewers and everyone who reads incidents.

    One rule for the /status/regulator/ page and the API's regulator channel.
    """
    return can_read_incidents(user) or GROUP_REGULATOR in group_names(user)
