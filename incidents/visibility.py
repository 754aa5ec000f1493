"""Drills stay drills: who may see a drill incident in lists and feeds.

A viewer is *in* a drill when they hold or held any role in its incident, or
declared it (the person who starts a drill declares its incident). Everyone
else — a regulator viewer above all — sees real incidents only, so a drill's
rehearsed disclosure can never read as a real one.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from incidents.models import Incident, RoleAssignment


def drills_joined_by(user: AbstractBaseUser) -> QuerySet[Incident]:
    """Return the drill incidents `user` is in (any role, past or present, or declared it)."""
    if not user.is_authenticated:
        return Incident.objects.none()
    held = RoleAssignment.objects.filter(user_id=user.pk).values("incident_id")
    return Incident.objects.filter(Q(pk__in=held) | Q(created_by=user), is_drill=True)


def real_or_joined(user: AbstractBaseUser, *, path: str = "incident") -> Q:
    """Return a filter keeping rows whose incident (reached via `path`) is real or a drill `user` is in."""
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}is_drill": False}) | Q(
        **{f"{prefix}pk__in": drills_joined_by(user).values("pk")}
    )
