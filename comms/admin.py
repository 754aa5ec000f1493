"""Admin for comms: browse everything, change only what no service owns.

Publishing, cadence deadlines, deliveries and feedback change through their
services (which log and fan out); here they are read-only. Subscriptions are
plain configuration and editable.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from comms.fanout import enqueue_after_commit
from comms.models import (
    Deadline,
    Delivery,
    DeliveryAttempt,
    Feedback,
    Rendition,
    StatusUpdate,
    Subscription,
)
from comms.subscriptions import validate_target
from kit.errors import DomainError


class ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _frozen(update: StatusUpdate | None) -> bool:
    """Published, or carrying a sign-off: the admin shows it read-only.

    The model voids a sign-off on any change anyway (Rendition.save); read-only
    here means the admin cannot even start one.
    """
    if update is None:
        return False
    return update.is_published or update.renditions.filter(signed_off_at__isnull=False).exists()


class RenditionInline(admin.StackedInline):
    model = Rendition
    extra = 0
    fields = ["audience", "summary", "body", "signed_off_by", "signed_off_at"]
    readonly_fields = ["signed_off_by", "signed_off_at"]

    # Renditions of a published or signed-off update are frozen (the database
    # refuses changes to published ones; the model voids changed sign-offs).
    def has_add_permission(self, request: HttpRequest, obj: StatusUpdate | None = None) -> bool:
        return not _frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: StatusUpdate | None = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: StatusUpdate | None = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(StatusUpdate)
class StatusUpdateAdmin(admin.ModelAdmin):
    """Unsigned drafts may be edited; publishing goes through the console or API, which log it."""

    list_display = ["__str__", "status", "published_at", "published_by", "corrects"]
    list_filter = ["status"]
    list_select_related = ["incident", "published_by", "corrects__incident"]
    search_fields = ["what_changed", "renditions__summary"]
    raw_id_fields = ["incident", "corrects", "author", "jargon_acknowledged_by"]
    # The lifecycle fields belong to the publishing service.
    readonly_fields = [
        "status",
        "published_at",
        "published_by",
        "log_entry",
        "created_at",
        "updated_at",
    ]
    inlines = [RenditionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # numbering and deadlines come from the drafting service

    def has_change_permission(self, request: HttpRequest, obj: StatusUpdate | None = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: StatusUpdate | None = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Deadlines are planned and snoozed by the cadence services (logged)."""

    list_display = [
        "incident",
        "audience",
        "due_at",
        "outcome",
        "reminded_at",
        "escalated_at",
        "snoozed_at",
    ]
    list_filter = ["audience", "outcome"]
    list_select_related = ["incident"]
    date_hierarchy = "due_at"


class SubscriptionAdminForm(forms.ModelForm):
    """Endpoint targets pass the same checks as in the API and pages (comms/outbound.py)."""

    class Meta:
        model = Subscription
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        channel, target = cleaned.get("channel"), cleaned.get("target", "")
        if channel and channel != "inapp":
            try:
                cleaned["target"] = validate_target(channel, target)
            except DomainError as exc:
                self.add_error("target", str(exc))
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionAdminForm
    list_display = [
        "name",
        "user",
        "channel",
        "audience",
        "min_severity",
        "include_drills",
        "is_active",
    ]
    list_filter = ["channel", "audience", "min_severity", "is_active"]
    list_select_related = ["user"]
    search_fields = ["name", "target", "user__username"]
    raw_id_fields = ["user", "created_by"]
    filter_horizontal = ["monitored_models"]


ATTEMPT_FIELDS = ("number", "at", "ok", "status_code", "duration_ms", "error")


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ATTEMPT_FIELDS
    readonly_fields = ATTEMPT_FIELDS


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox, read-only; one action sends a failed or stuck row once more."""

    list_display = [
        "id",
        "kind",
        "channel",
        "target",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "channel", "kind", "is_drill"]
    list_select_related = ["subscription"]
    search_fields = ["=id", "target", "subscription__name"]
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["send_again"]

    @admin.action(description="Send again now (failed or pending rows)", permissions=["view"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        if not request.user.is_superuser:
            self.message_user(request, "Only superusers can re-send deliveries.", messages.ERROR)
            return
        now = timezone.now()
        # Never a delivered row, nor one a worker is sending right now.
        idle = queryset.exclude(status=Delivery.Status.DELIVERED).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        )
        with transaction.atomic():
            rows = list(idle.select_for_update(of=("self",)))
            Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                status=Delivery.Status.PENDING, next_attempt_at=now, claimed_until=None
            )
            enqueue_after_commit(rows)
        self.message_user(request, f"{len(rows)} deliveries queued again.", messages.SUCCESS)


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["update", "audience", "clarity", "usefulness", "created_at"]
    list_filter = ["audience", "clarity", "usefulness"]
    list_select_related = ["update__incident"]
