"""The one way to write the audit trail."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.db import models
from django.http import HttpRequest

from audit.models import AuditEvent
from kit.client import client_address

# The request being served, so model-level hooks (token issued, subscription
# changed) know who did it and from where, whichever path they came through.
current_request: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)


def _actor(request: HttpRequest | None, actor: Any) -> tuple[Any, str]:
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None and getattr(actor, "pk", None):
        return actor, actor.get_username()
    return None, ""


def record(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor: Any = None,
    actor_label: str = "",
    obj: models.Model | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Runs inside the caller's transaction when there is one."""
    request = request if request is not None else current_request.get()
    user, label = _actor(request, actor)
    return AuditEvent.objects.create(
        actor=user,
        actor_label=(actor_label or label or ("command line" if request is None else "anonymous"))[
            :150
        ],
        client_address=client_address(request) if request is not None else None,
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        details=details or {},
    )
