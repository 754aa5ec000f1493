"""Who may read and write incident pages (the console's and the drills', which are incidents too)."""

from __future__ import annotations

from django.http import HttpRequest

from incidents import permissions
from kit.pages import require

READER_MESSAGE = "Incident pages are for responders, commanders and executives."


def require_reader(request: HttpRequest) -> None:
    """Responders, commanders, executives and admins read incidents; nobody else."""
    require(request, permissions.can_read_incidents, READER_MESSAGE)


def require_writer(request: HttpRequest) -> None:
    """Executives read only: every write answers 403, whatever the form."""
    require_reader(request)
    require(
        request, permissions.can_respond, "Only responders and commanders may change incidents."
    )
