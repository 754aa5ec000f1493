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
