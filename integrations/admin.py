from __future__ import annotations

import secrets
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.models import AlertEvidence, IntegrationKey, key_digest


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "prefix", "default_model", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["kind", "revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: IntegrationKey | None = None) -> list[str]:
        # The kind is the key's scope: fixed once issued.
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: IntegrationKey, form: Any, change: bool) -> None:
        if not change:
            # Issue like IntegrationKey.issue, then show the raw key once.
            raw = f"icc_{obj.kind[:2]}_" + secrets.token_urlsafe(32)
            obj.prefix, obj.digest, obj.created_by = raw[:10], key_digest(raw), request.user
            super().save_model(request, obj, form, change)
            messages.warning(request, f"Key for {obj.name}: {raw} — copy it now, it is not shown again.")
            return
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: IntegrationKey | None = None) -> bool:
        return False  # revoke instead: evidence keeps pointing at the key

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[IntegrationKey]) -> None:
        for key in queryset:
            key.revoke()
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


@admin.register(AlertEvidence)
class AlertEvidenceAdmin(admin.ModelAdmin):
    list_display = ["incident", "source", "status", "fingerprint", "received_at"]
    list_filter = ["source", "status"]
    readonly_fields = [f.name for f in AlertEvidence._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
