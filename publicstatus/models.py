"""What the public status page shows besides incidents: components and scheduled maintenance.

A monitored model is a component under its public name; a model without a
`Component` row is shown under its own name, ungrouped (the page as it was
before components had public names). Maintenance is private until announced.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import MonitoredModel


class ComponentState(models.TextChoices):
    """Statuspage's component states, best first (the order `worst` compares by)."""

    OPERATIONAL = "operational", "Operational"
    UNDER_MAINTENANCE = "under_maintenance", "Under maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"

    @classmethod
    def worst(cls, states, default: str = "operational") -> str:
        order = cls.values
        return max(states, key=order.index, default=default)


class Component(models.Model):
    """How one monitored model appears to customers."""

    model = models.OneToOneField(
        MonitoredModel, on_delete=models.CASCADE, related_name="public_component"
    )
    public_name = models.CharField(max_length=120)
    public_description = models.TextField(blank=True)
    group = models.CharField(max_length=80, blank=True, help_text="Components sharing a group")
    customer_facing = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["group", "position", "public_name"]

    def __str__(self) -> str:
        return self.public_name


class Maintenance(models.Model):
    """A maintenance window: drafted, announced, started, completed (or cancelled)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        IN_PROGRESS = "in_progress", "In progress"
        VERIFYING = "verifying", "Verifying"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Impact(models.TextChoices):
        NONE = "none", "None"
        MAINTENANCE = "maintenance", "Maintenance"
        MINOR = "minor", "Minor"
        MAJOR = "major", "Major"
        CRITICAL = "critical", "Critical"

    name = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="What customers read")
    status = models.CharField(max_length=20, choices=Status, default=Status.SCHEDULED)
    impact = models.CharField(max_length=20, choices=Impact, default=Impact.MAINTENANCE)
    scheduled_for = models.DateTimeField()
    scheduled_until = models.DateTimeField()
    components = models.ManyToManyField(MonitoredModel, related_name="maintenances", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scheduled_for", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_until__gt=models.F("scheduled_for")),
                name="maintenance_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_announced(self) -> bool:
        return self.announced_at is not None

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.IN_PROGRESS, self.Status.VERIFYING)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.CANCELLED)


class MaintenanceUpdate(models.Model):
    """One public message about a maintenance (announced, started, completed, cancelled)."""

    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=Maintenance.Status)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.maintenance} {self.status}"


class Subscriber(models.Model):
    """A customer's e-mail subscription: inactive until confirmed, kept (inert) once unsubscribed.

    The address is needed to send, and is never shown: no page, API, admin
    list, log line or error carries it (`__str__` names the row only); lookups
    go through `address_hash`.
    """

    address = models.EmailField(max_length=254)
    address_hash = models.CharField(max_length=64, unique=True)
    all_components = models.BooleanField(default=True)
    components = models.ManyToManyField(MonitoredModel, related_name="+", blank=True)
    # Part of every token: a new nonce voids old confirmation and unsubscribe links.
    nonce = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["confirmed_at", "unsubscribed_at"])]

    def __str__(self) -> str:
        return f"subscriber #{self.pk}"

    def __repr__(self) -> str:
        return f"<Subscriber #{self.pk}>"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class SignupAttempt(models.Model):
    """One sign-up request, counted per client address and per e-mail (both hashed)."""

    client_hash = models.CharField(max_length=64, db_index=True)
    address_hash = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"sign-up attempt #{self.pk}"


class Notice(models.Model):
    """The outbox of customer mail: one row per (subscriber, message), claimed, retried, leased."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", "Confirmation"
        INCIDENT = "incident", "Incident update"
        MAINTENANCE = "maintenance", "Maintenance"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind)
    # What the notice is about ("update-12", "mnt-update-3", "confirm-<nonce>"): one per subscriber.
    source = models.CharField(max_length=80)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "source"], name="one_notice_per_source")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"notice #{self.pk} ({self.kind}, {self.status})"


class FannedOut(models.Model):
    """A published customer update or maintenance update whose notices are written (once)."""

    status_update = models.OneToOneField(
        "comms.StatusUpdate", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    maintenance_update = models.OneToOneField(
        MaintenanceUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"fanned out #{self.pk}"
