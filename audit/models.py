"""AuditEvent: one row per security-relevant event, never changed or deleted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out"
    REGULATOR_READ = "regulator_read", "Read regulator renditions"
    ADMIN_ADD = "admin_add", "Admin: added"
    ADMIN_CHANGE = "admin_change", "Admin: changed"
    ADMIN_DELETE = "admin_delete", "Admin: deleted"
    TOKEN_ISSUED = "token_issued", "API token issued"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    KEY_ISSUED = "key_issued", "Integration key issued"
    KEY_REVOKED = "key_revoked", "Integration key revoked"
    SUBSCRIPTION_CREATED = "subscription_created", "Subscription target created"
    SUBSCRIPTION_CHANGED = "subscription_changed", "Subscription target changed"
    EVIDENCE_EXPORTED = "evidence_exported", "Evidence pack exported"
    INCIDENTS_EXPORTED = "incidents_exported", "Incidents exported (export_incidents)"
    INCIDENTS_IMPORTED = "incidents_imported", "Incidents imported (import_incidents)"


class AuditImmutable(Exception):
    """An audit event cannot be changed or deleted."""


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text: survives the user's deletion, and names non-users ("command", a failed username).
    actor_label = models.CharField(max_length=150, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=32, choices=Action, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AuditImmutable("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditImmutable("audit events are append-only")
