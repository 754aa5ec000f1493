"""Who may read and write incident pages; shared by pages and their fragments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from console.incident_forms import add_domain_error
from incidents import permissions
from kit.errors import DomainError, NotPermitted


def require_reader(request: HttpRequest) -> None:
    """Responders, commanders, executives and admins read incidents; nobody else."""
    if not permissions.can_read_incidents(request.user):
        raise PermissionDenied("Incident pages are for responders, commanders and executives.")


def require_writer(request: HttpRequest) -> None:
    """Executives read only: every write answers 403, whatever the form."""
    require_reader(request)
    if not permissions.can_respond(request.user):
        raise PermissionDenied("Only responders and commanders may change incidents.")


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
