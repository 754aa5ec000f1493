"""Admin of the learning loop, read-only: drills, reviews and action items change only through their
services (learning.drills, learning.reviews, learning.actions), which log every change on the incident."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kit.admin import ReadOnlyAdminMixin
from learning.models import ActionItem, Drill, DrillStep, Review, ReviewAddendum


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Look, never touch: the services write these rows and log them; published reviews are immutable."""

    actions = None


class DrillStepInline(admin.TabularInline):
    model = DrillStep
    fields = readonly_fields = ("index", "kind", "offset_seconds", "due_at", "applied_at", "data")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Drill)
class DrillAdmin(ReadOnlyAdmin):
    """Start drills from /drills/: that declares the incident and schedules the replay."""

    list_display = [
        "__str__",
        "scenario_title",
        "status",
        "clock_factor",
        "suppress_external",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "scenario", "suppress_external"]
    list_select_related = ["incident"]
    readonly_fields = [f.name for f in Drill._meta.fields]
    inlines = [DrillStepInline]


class ReviewAddendumInline(admin.TabularInline):
    model = ReviewAddendum
    fields = readonly_fields = ("number", "body", "author", "created_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "status",
        "taxonomy",
        "taxonomy_version",
        "published_at",
        "regulator_signed_off_at",
    ]
    list_filter = ["status", "taxonomy"]
    list_select_related = ["incident"]
    readonly_fields = [f.name for f in Review._meta.fields]
    inlines = [ReviewAddendumInline]


@admin.register(ReviewAddendum)
class ReviewAddendumAdmin(ReadOnlyAdmin):
    list_display = ["review", "number", "author", "created_at"]
    list_select_related = ["review__incident", "author"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = [
        "title",
        "incident",
        "owner",
        "category",
        "status",
        "due_at",
        "reminded_at",
        "escalated_at",
    ]
    list_filter = ["status", "category"]
    list_select_related = ["incident", "owner"]
    search_fields = ["title", "owner__username"]
