"""The signed-in user of a request, typed as the user model services expect."""

from __future__ import annotations

from typing import overload

from django.contrib.auth.models import AbstractBaseUser, User
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


@overload
def account(user: AbstractBaseUser) -> User: ...
@overload
def account(user: None) -> None: ...
def account(user: AbstractBaseUser | None) -> User | None:
    """Return `user` as the project's user model, the type its foreign keys hold.

    Services accept any authenticated user object; the rows they write point
    at `auth.User`. Anything else is a programming error, not a refusal.
    """
    if user is None or isinstance(user, User):
        return user
    raise TypeError(f"Expected a django.contrib.auth User, got {type(user).__name__}.")
