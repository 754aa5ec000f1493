"""The audit trail in the admin: browsable and filterable, never editable."""

from __future__ import annotations

from django.contrib import admin

from audit.models import AuditEvent
from kit.admin import ReadOnlyAdminMixin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "action", "actor_label", "client_address", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_repr", "object_id", "client_address"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
