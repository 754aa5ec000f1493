"""Signal receivers that feed the audit trail from every path.

Sign-ins, failed sign-ins and lockouts come from Django's and django-axes'
signals; admin changes from Django admin's LogEntry; tokens, integration keys
and subscription targets from their models' save signals (looked up by label:
this app imports none of theirs), so the commands, the admin and the API are
all covered.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save, pre_save

from audit.models import Action
from audit.services import record

_ADMIN_ACTIONS = {
    ADDITION: Action.ADMIN_ADD,
    CHANGE: Action.ADMIN_CHANGE,
    DELETION: Action.ADMIN_DELETE,
}


def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action=Action.SIGN_IN, request=request, actor=user, obj=user)


def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Django already masks the password in credentials; keep only the username.
    username = str(credentials.get("username") or "")[:150]
    record(
        action=Action.SIGN_IN_FAILED,
        request=request,
        actor_label=username,
        details={"username": username},
    )


def _locked_out(
    sender: Any,
    request: Any,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    record(
        action=Action.LOCKED_OUT,
        request=getattr(request, "_request", request),
        actor_label=str(username or ""),
        details={"username": username or "", "ip_address": ip_address or ""},
    )


def _model_label(entry: LogEntry) -> str:
    """The changed model's label ("app.Model"), or "" when its type is gone."""
    model = entry.content_type.model_class() if entry.content_type else None
    return model._meta.label if model else ""


def _admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    record(
        action=_ADMIN_ACTIONS.get(instance.action_flag, Action.ADMIN_CHANGE),
        actor=instance.user,
        details={
            "model": _model_label(instance),
            "object_id": str(instance.object_id or ""),
            "object_repr": instance.object_repr,
            "changes": instance.get_change_message(),
            "change_message": instance.change_message,
        },
    )


def _remember_revoked(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Note whether the row was revoked/its target before this save."""
    old = sender.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_old = old


def _credential_saved(issued: str, revoked: str) -> Any:
    def receiver(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        old = getattr(instance, "_audit_old", None)
        if created:
            record(action=issued, obj=instance, details={"name": getattr(instance, "name", "")})
        elif instance.revoked_at is not None and (old is None or old.revoked_at is None):
            record(action=revoked, obj=instance, details={"name": getattr(instance, "name", "")})

    return receiver


_SUBSCRIPTION_FIELDS = (
    "name",
    "channel",
    "target",
    "audience",
    "min_severity",
    "teams",
    "include_drills",
    "email",
    "is_active",
    "user_id",
)


def safe_target(channel: str, target: str) -> str:
    """Return what the trail keeps of a target: never the tokens that Slack, Apprise and webhook URLs carry.

    The trail is append-only and exported, so a secret written there could never be
    removed. It keeps the scheme and host, plus a fingerprint that tells targets apart.
    """
    if channel in ("", "email", "inapp") or not target:
        return target
    parts = urlsplit(target)
    fingerprint = hashlib.sha256(target.encode()).hexdigest()[:12]
    return f"{parts.scheme}://{parts.hostname or ''}/… (sha256 {fingerprint})"


def _field_value(instance: Any, field: str) -> str:
    value = getattr(instance, field)
    return safe_target(instance.channel, value) if field == "target" else str(value)


def _subscription_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    old = getattr(instance, "_audit_old", None)
    if created or old is None:
        record(
            action=Action.SUBSCRIPTION_CREATED,
            obj=instance,
            details={
                "channel": instance.channel,
                "target": safe_target(instance.channel, instance.target),
            },
        )
        return
    changed = {
        f: [_field_value(old, f), _field_value(instance, f)]
        for f in _SUBSCRIPTION_FIELDS
        if getattr(old, f) != getattr(instance, f)
    }
    if changed:
        record(action=Action.SUBSCRIPTION_CHANGED, obj=instance, details={"changed": changed})


_token_saved = _credential_saved(Action.TOKEN_ISSUED, Action.TOKEN_REVOKED)
_key_saved = _credential_saved(Action.KEY_ISSUED, Action.KEY_REVOKED)


def connect() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(_signed_in, dispatch_uid="audit-sign-in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="audit-sign-in-failed")
    user_locked_out.connect(_locked_out, dispatch_uid="audit-locked-out")
    post_save.connect(_admin_change, sender=LogEntry, dispatch_uid="audit-admin")
    for label, receiver in (
        ("api.ApiToken", _token_saved),
        ("integrations.IntegrationKey", _key_saved),
        ("comms.Subscription", _subscription_saved),
    ):
        model = apps.get_model(label)
        pre_save.connect(_remember_revoked, sender=model, dispatch_uid=f"audit-old-{label}")
        post_save.connect(receiver, sender=model, dispatch_uid=f"audit-{label}")
