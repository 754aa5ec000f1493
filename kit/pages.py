"""What every page that runs a form through a service shares: access checks and refusals.

Pages in console and learning (and any app above kit) use these, so no app has
to import the console to behave like a console page: a refused request lands
beside the field the service named, a NotPermitted is a 403, and a domain
error answers with its own status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from kit.errors import DomainError, NotPermitted


def require(request: HttpRequest, allowed: Callable[[Any], bool], message: str) -> None:
    """Answer 403 with `message` unless `allowed(request.user)`: each page names its audience."""
    if not allowed(request.user):
        raise PermissionDenied(message)


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Attach a refused request to the field the service named, else to the form.

    A form whose field names differ from the service's defines its own
    `field_for_domain_error(field)`; without one the service's name is used as is.
    """
    mapper = getattr(form, "field_for_domain_error", None)
    name = mapper(exc.field) if mapper else exc.field
    form.add_error(name if name in form.fields else None, exc.message)


def run_action(form: forms.Form, action: Callable[[dict[str, Any]], Any]) -> tuple[Any, int]:
    """Validate `form` and run `action(cleaned_data)`.

    Return (result, 200) on success, else (None, status) with the errors on
    the form: 400 for invalid input, the domain error's own status (400/409)
    for refusals. NotPermitted becomes a 403.
    """
    if not form.is_valid():
        return None, 400
    try:
        return action(form.cleaned_data), 200
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        add_domain_error(form, exc)
        return None, exc.status


def is_htmx(request: HttpRequest) -> bool:
    """Return whether htmx sent the request (django-htmx's middleware sets `request.htmx`)."""
    return bool(getattr(request, "htmx", False))
