from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint
from incidents.models import (
    AffectedModel,
    ImpactRule,
    Incident,
    MetricPoint,
    Milestone,
    MonitoredModel,
    Playbook,
    RoleAssignment,
)


class ImpactRuleInline(admin.TabularInline):
    model = ImpactRule
    extra = 0


@admin.register(MonitoredModel)
class MonitoredModelAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "team", "risk_tier", "current_version", "is_active"]
    list_filter = ["risk_tier", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "team", "business_function"]
    inlines = [ImpactRuleInline]


@admin.register(MetricPoint)
class MetricPointAdmin(admin.ModelAdmin):
    list_display = ["model", "metric", "timestamp", "value", "is_drill"]
    list_filter = ["model", "metric", "is_drill"]
    list_select_related = ["model"]
    date_hierarchy = "timestamp"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AffectedModelInline(admin.TabularInline):
    model = AffectedModel
    extra = 0


class RoleInline(ReadOnlyInline):
    model = RoleAssignment
    fields = ["role", "user", "started_at", "ended_at", "assigned_by"]


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = ["phase", "reached_at", "indicator", "recorded_by"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Incidents change through their services (which log); the admin only reads them."""

    list_display = ["reference", "title", "severity", "phase", "is_drill", "source", "declared_at"]
    list_filter = ["severity", "phase", "is_drill", "source"]
    search_fields = ["title", "scope", "dedup_key"]
    inlines = [AffectedModelInline, RoleInline, MilestoneInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["incident", "role", "user", "started_at", "ended_at"]
    list_filter = ["role"]
    list_select_related = ["incident", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Milestone)
class MilestoneAdmin(RoleAssignmentAdmin):
    list_display = ["incident", "phase", "reached_at", "indicator"]
    list_filter = ["phase"]
    list_select_related = ["incident"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "severity",
        "risk_tier",
        "escalation_grace_minutes",
        "four_eyes_regulator",
        "is_active",
    ]
    list_filter = ["severity", "risk_tier", "four_eyes_regulator", "is_active"]


@admin.register(DecisionLogEntry)
class DecisionLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only everywhere, the admin included."""

    list_display = ["incident", "sequence", "kind", "recorded_at", "actor_label", "summary"]
    list_filter = ["kind"]
    list_select_related = ["incident"]
    search_fields = ["summary"]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LogCheckpoint)
class LogCheckpointAdmin(DecisionLogEntryAdmin):
    """Read-only, like the log it signs."""

    list_display = ["incident", "sequence", "signed_at", "key_id", "head_hash"]
    list_filter = ["key_id"]
    search_fields = ["head_hash"]
