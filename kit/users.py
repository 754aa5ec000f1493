"""The signed-in user of a request, typed as the user model services expect."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def signed_in_user(request: HttpRequest) -> User:
    """Return `request.user`, refusing an anonymous one (403).

    Views reach this behind a login check, so the refusal is a second line that
    also tells the type checker what the login check already guarantees.
    """
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user
