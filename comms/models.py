"""Status updates and their renditions, cadence deadlines, subscriptions, deliveries."""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Q

from incidents.choices import Audience, EntryKind, Severity
from incidents.decision_log.chain import append_entry
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident, MonitoredModel


class UpdateImmutable(Exception):
    """Raised on any attempt to change a published update or its renditions."""


class StatusUpdate(models.Model):
    """A structured status update; immutable once published.

    Corrections are new updates naming the one they correct.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting regulator sign-off"
        PUBLISHED = "published", "Published"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="updates")
    number = models.PositiveIntegerField(help_text="Position among the incident's updates.")
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    what_changed = models.TextField()
    uncertain = models.TextField(blank=True, help_text="What remains uncertain.")
    decisions_pending = models.TextField(blank=True)
    actions_in_progress = models.TextField(blank=True)
    current_impact = models.TextField(blank=True)
    next_update_at = models.DateTimeField(null=True, blank=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    jargon_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    log_entry = models.OneToOneField(
        DecisionLogEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="status_update",
    )

    class Meta:
        ordering = ["incident", "number"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "number"], name="one_update_per_number")
        ]
        indexes = [
            models.Index(fields=["incident", "status", "-published_at"], name="update_latest")
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} update {self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def _published_in_db(self) -> bool:
        return (
            not self._state.adding
            and StatusUpdate.objects.filter(pk=self.pk, status="published").exists()
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._published_in_db():
            raise UpdateImmutable("Published updates cannot change; publish a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_published or self._published_in_db():
            raise UpdateImmutable("Published updates cannot be deleted.")
        return super().delete(*args, **kwargs)


# The fields a sign-off vouches for: change one and the sign-off is void.
SIGNED_FIELDS = ("audience", "summary", "body")


class Rendition(models.Model):
    """The update as one audience reads it: a short summary first, then detail."""

    update = models.ForeignKey(StatusUpdate, on_delete=models.CASCADE, related_name="renditions")
    audience = models.CharField(max_length=16, choices=Audience)
    summary = models.CharField(max_length=500, help_text="Short executive summary, read first.")
    body = models.TextField(blank=True, help_text="The deeper dive.")
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["update", "audience"]
        constraints = [
            models.UniqueConstraint(
                fields=["update", "audience"], name="one_rendition_per_audience"
            )
        ]

    def __str__(self) -> str:
        return f"{self.update} ({self.audience})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a change to signed-off wording voids the sign-off, whoever makes it (admin, ORM, service)."""
        if (
            not self._state.adding
            and StatusUpdate.objects.filter(pk=self.update_id, status="published").exists()
        ):
            raise UpdateImmutable("Renditions of a published update cannot change.")
        with transaction.atomic():
            stored = (
                None
                if self._state.adding
                else Rendition.objects.select_for_update().filter(pk=self.pk).first()
            )
            if self.void_sign_off_if_changed(stored) and kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {
                    *kwargs["update_fields"],
                    "signed_off_by",
                    "signed_off_at",
                }
            super().save(*args, **kwargs)

    def void_sign_off_if_changed(self, stored: Rendition | None) -> bool:
        """Clear the sign-off if the signed text differs from `stored`; log the voiding.

        Return whether a sign-off was voided. Called from `save` inside its
        transaction, so the log entry commits with the change.
        """
        if stored is None or stored.signed_off_at is None:
            return False
        if all(getattr(self, f) == getattr(stored, f) for f in SIGNED_FIELDS):
            return False
        self.signed_off_by, self.signed_off_at = None, None
        update = self.update
        append_entry(
            incident=update.incident,
            kind=EntryKind.SIGN_OFF,
            summary=f"Sign-off of the {stored.audience} rendition of update {update.number} voided: its wording changed",
            actor_label="system",
            data={
                "update": update.number,
                "voided": True,
                "signed_off_by": stored.signed_off_by_id,
                "signed_off_at": stored.signed_off_at.isoformat(),
                "summary_signed": stored.summary,
            },
        )
        return True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if StatusUpdate.objects.filter(pk=self.update_id, status="published").exists():
            raise UpdateImmutable("Renditions of a published update cannot be deleted.")
        return super().delete(*args, **kwargs)


class DeadlineQuerySet(models.QuerySet):
    def open(self) -> DeadlineQuerySet:
        return self.filter(fulfilled_at__isnull=True, cancelled_at__isnull=True)


class Deadline(models.Model):
    """When the next update for one audience of one incident is due.

    A database row, not a Celery countdown: the periodic cadence task claims
    due rows with conditional UPDATEs, so a restart of Redis or the worker
    loses nothing and two workers never send the same reminder.
    """

    class Outcome(models.TextChoices):
        MET = "met", "Met"
        MISSED = "missed", "Missed"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deadlines")
    audience = models.CharField(max_length=16, choices=Audience)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    cadence_minutes = models.PositiveIntegerField()
    opened_by = models.ForeignKey(
        StatusUpdate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=8, choices=Outcome, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    fulfilled_by = models.ForeignKey(
        StatusUpdate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fulfilled_deadlines",
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the first escalation step went out."
    )
    escalation_step = models.PositiveSmallIntegerField(
        default=0,
        help_text="How many steps of the escalation path have gone out (0: not escalated).",
    )
    snoozed_at = models.DateTimeField(null=True, blank=True)
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    snooze_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(
        null=True, blank=True, help_text="Closed without a slot (incident ended)."
    )

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "audience"],
                condition=Q(fulfilled_at__isnull=True, cancelled_at__isnull=True),
                name="one_open_deadline_per_audience",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="deadline_due", condition=Q(fulfilled_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.audience} due {self.due_at:%H:%M}"

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None and self.cancelled_at is None


def new_secret() -> str:
    """Return a Standard Webhooks secret: "whsec_" + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Channel(models.TextChoices):
    INAPP = "inapp", "In-app inbox"
    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack incoming webhook"
    WEBHOOK = "webhook", "Signed webhook (Standard Webhooks)"
    APPRISE = "apprise", "Apprise URL (Teams, Discord, Mattermost, Telegram …)"


class Subscription(models.Model):
    """Who hears about which updates, and how.

    A user subscription delivers to the in-app inbox and e-mail; an endpoint
    subscription delivers to one external channel.
    """

    name = models.CharField(max_length=120)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    channel = models.CharField(
        max_length=8, choices=Channel, blank=True, help_text="Blank for user subscriptions"
    )
    target = models.CharField(
        max_length=1000, blank=True, help_text="URL, e-mail address or Apprise URL"
    )
    secret = models.CharField(
        max_length=100, default=new_secret, help_text="Signs webhook payloads"
    )
    audience = models.CharField(max_length=16, choices=Audience)
    min_severity = models.PositiveSmallIntegerField(
        choices=Severity,
        default=Severity.SEV4,
        help_text="Notify for this severity and more severe.",
    )
    monitored_models = models.ManyToManyField(
        MonitoredModel, blank=True, related_name="subscriptions"
    )
    teams = models.JSONField(
        default=list, blank=True, help_text="Owning teams of the affected models"
    )
    include_drills = models.BooleanField(default=False)
    email = models.BooleanField(default=True, help_text="User subscriptions: also send e-mail")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(channel=""))
                | (Q(user__isnull=True) & ~Q(channel="") & ~Q(target="")),
                name="subscription_is_user_or_endpoint",
            ),
            models.CheckConstraint(
                condition=Q(min_severity__gte=1, min_severity__lte=4),
                name="subscription_min_severity",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One message to one recipient over one channel: the outbox row.

    Written in the same transaction as what it announces (a published update,
    a cadence reminder or escalation, a test); workers deliver after commit
    and the sweeper re-drives rows left pending. `payload` is the message as
    rendered then, so retries send the same bytes. `id` is the webhook-id,
    stable across retries, so receivers can deduplicate.
    """

    class Kind(models.TextChoices):
        UPDATE = "update", "Status update"
        REMINDER = "reminder", "Cadence reminder"
        ESCALATION = "escalation", "Cadence escalation"
        TEST = "test", "Test message"
        ACTION_ITEM = "action", "Action item reminder"
        DRILL_EVENT = "drill", "Drill event"
        REGULATORY = "regulatory", "Regulatory deadline"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (permanent)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.UPDATE)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    update = models.ForeignKey(
        StatusUpdate, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    deadline = models.ForeignKey(
        Deadline, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(max_length=8, choices=Channel)
    target = models.CharField(
        max_length=1000, blank=True, help_text="Address or URL, as it was when written"
    )
    audience = models.CharField(max_length=16, choices=Audience, blank=True)
    payload = models.JSONField(default=dict)
    is_drill = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["update", "subscription", "channel"],
                condition=Q(kind="update"),
                name="one_update_delivery_per_channel",
            ),
            models.UniqueConstraint(
                fields=["deadline", "kind", "user", "channel"],
                condition=Q(kind__in=["reminder", "escalation"]),
                name="one_cadence_notice_per_channel",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="delivery_due", condition=Q(status="pending")
            ),
            models.Index(fields=["user", "channel", "-created_at"], name="delivery_inbox"),
            # /metrics counts failed deliveries by channel on every scrape (comms/health.py).
            models.Index(fields=["channel"], name="delivery_failed", condition=Q(status="failed")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} via {self.channel}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="one_attempt_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {'ok' if self.ok else self.error[:40]}"


class Feedback(models.Model):
    """A reader's rating of one delivered update (signed link, no login)."""

    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="feedback")
    update = models.ForeignKey(StatusUpdate, on_delete=models.PROTECT, related_name="feedback")
    audience = models.CharField(max_length=16, choices=Audience)
    clarity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    usefulness = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(clarity__gte=1, clarity__lte=5), name="clarity_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(usefulness__gte=1, usefulness__lte=5), name="usefulness_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.update} {self.audience}: {self.clarity}/{self.usefulness}"
