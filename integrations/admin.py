from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.models import AlertEvidence, IntegrationKey, key_digest
from kit.users import signed_in_user


class IntegrationKeyForm(forms.ModelForm):
    """The Grafana signing secret is write-only: set, replaced or cleared, never shown back."""

    new_signing_secret = forms.CharField(
        required=False,
        min_length=16,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        label="Set signing secret",
        help_text="Grafana keys only: the secret of the contact point's HMAC signature (at least 16 characters). "
        "Leave blank to keep the current one.",
    )
    clear_signing_secret = forms.BooleanField(required=False, label="Remove the signing secret")

    class Meta:
        model = IntegrationKey
        exclude = ["digest", "signing_secret"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("new_signing_secret") and data.get("clear_signing_secret"):
            raise forms.ValidationError("Set a new signing secret or remove it, not both.")
        if data.get("new_signing_secret"):
            self.instance.signing_secret = data["new_signing_secret"]
        elif data.get("clear_signing_secret"):
            self.instance.signing_secret = ""
        return data  # IntegrationKey.clean refuses a secret on a key that is not Grafana's


@admin.register(IntegrationKey)
class IntegrationKeyAdmin(admin.ModelAdmin):
    form = IntegrationKeyForm
    list_display = [
        "name",
        "kind",
        "prefix",
        "default_model",
        "has_signing_secret",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["kind", "revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = [
        "prefix",
        "has_signing_secret",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    @admin.display(boolean=True, description="Signing secret")
    def has_signing_secret(self, obj: IntegrationKey) -> bool:
        return obj.has_signing_secret

    def get_readonly_fields(
        self, request: HttpRequest, obj: IntegrationKey | None = None
    ) -> list[str]:
        # The kind is the key's scope: fixed once issued.
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    def save_model(
        self, request: HttpRequest, obj: IntegrationKey, form: Any, change: bool
    ) -> None:
        if not change:
            # Issue like IntegrationKey.issue, then show the raw key once.
            raw = f"icc_{obj.kind[:2]}_" + secrets.token_urlsafe(32)
            obj.prefix, obj.digest, obj.created_by = (
                raw[:10],
                key_digest(raw),
                signed_in_user(request),
            )
            super().save_model(request, obj, form, change)
            messages.warning(
                request, f"Key for {obj.name}: {raw} — copy it now, it is not shown again."
            )
            return
        super().save_model(request, obj, form, change)

    def has_delete_permission(
        self, request: HttpRequest, obj: IntegrationKey | None = None
    ) -> bool:
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
