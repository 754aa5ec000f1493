"""Post-incident reviews, their action items, and drills."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from incidents.models import Incident


class RootCause(models.TextChoices):
    DATA_QUALITY = "data_quality", "Data quality"
    FEATURE_DRIFT = "feature_drift", "Feature drift"
    PIPELINE_RELIABILITY = "pipeline_reliability", "Pipeline reliability"
    MODEL_VERSIONING = "model_versioning", "Model versioning"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    PROCESS = "process", "Process"


class ReviewImmutable(Exception):
    """A published review is changed only by addenda."""


class ReviewQuerySet(models.QuerySet):
    """Bulk updates and deletes refuse to touch a published review (triggers back this up)."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(status="published").exists():
            raise ReviewImmutable("A published review cannot be changed; add an addendum.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status="published").exists():
            raise ReviewImmutable("A published review cannot be deleted.")
        return super().delete()


class AddendumQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise ReviewImmutable("Addenda cannot be changed; add another addendum.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ReviewImmutable("Addenda cannot be deleted.")


class Review(models.Model):
    """The post-incident review of one incident: a generated draft the team completes, then publishes.

    `generated` is the snapshot taken when the review started (timeline from the
    log, impact over time, milestones with indicators, the cadence record per
    audience, decisions with rationale and who took them); it can be
    regenerated while the review is a draft. Publishing freezes the row
    (database triggers refuse UPDATE/DELETE); later findings are addenda.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="review")
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    generated = models.JSONField(default=dict, blank=True)
    generated_at = models.DateTimeField()
    # What the team fills in.
    executive_summary = models.TextField(
        blank=True, help_text="Business terms, read by executives."
    )
    root_causes = models.JSONField(
        default=list, blank=True, help_text="RootCause values; several allowed."
    )
    root_cause_detail = models.TextField(blank=True)
    failed_gates = models.TextField(blank=True, help_text="Quality gates that failed, and why.")
    containment_effectiveness = models.TextField(blank=True)
    counterfactuals = models.TextField(blank=True)
    went_well = models.TextField(blank=True)
    went_badly = models.TextField(blank=True)
    lessons = models.TextField(blank=True)
    # Classification against a published AI-incident taxonomy kept as data (learning/taxonomies/).
    taxonomy = models.CharField(
        max_length=80, blank=True, help_text="Slug of the taxonomy data file."
    )
    taxonomy_name = models.CharField(max_length=200, blank=True)
    taxonomy_version = models.CharField(max_length=40, blank=True)
    classification = models.JSONField(
        default=dict, blank=True, help_text="Dimension -> chosen value(s)."
    )
    # Regulator rendition: shown to regulator viewers only once signed off.
    regulator_disclosure = models.TextField(blank=True)
    regulator_signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    regulator_signed_off_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ReviewQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Review of {self.incident}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            not self._state.adding
            and Review.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists()
        ):
            raise ReviewImmutable("A published review cannot be changed; add an addendum.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if Review.objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists():
            raise ReviewImmutable("A published review cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ReviewAddendum(models.Model):
    """A later finding on a published review. Append-only."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="addenda")
    number = models.PositiveIntegerField()
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = AddendumQuerySet.as_manager()

    class Meta:
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="one_addendum_number")
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ReviewImmutable("Addenda cannot be changed; add another addendum.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ReviewImmutable("Addenda cannot be deleted.")


class Drill(models.Model):
    """One run of a scenario: a drill incident replayed on an accelerated clock.

    The drill clock runs `incident.clock_factor` times faster than the wall
    clock from `started_at`. Every stored time is wall time; scenario offsets
    and targets are drill time (wall duration x factor).
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        ABORTED = "aborted", "Aborted"

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="drill")
    scenario = models.SlugField(max_length=80, help_text="Slug of the scenario data file.")
    scenario_title = models.CharField(max_length=200)
    scenario_digest = models.CharField(
        max_length=64, help_text="SHA-256 of the scenario file as replayed."
    )
    scenario_data = models.JSONField(
        default=dict, help_text="The scenario as replayed (targets, events)."
    )
    clock_factor = models.PositiveIntegerField(default=60)
    suppress_external = models.BooleanField(
        default=False,
        help_text="Send nothing to external channels (else they are marked as drills).",
    )
    status = models.CharField(max_length=12, choices=Status, default=Status.RUNNING)
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    debrief = models.JSONField(
        default=dict, blank=True, help_text="Scores against the scenario's targets."
    )
    debriefed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Drill {self.scenario} #{self.pk}"


class DrillStep(models.Model):
    """One scheduled piece of a replay (a metric point or an injected stakeholder event).

    Claimed by the drill tick with a conditional UPDATE, so two workers never
    apply a step twice and a restarted worker loses none.
    """

    class Kind(models.TextChoices):
        METRIC = "metric", "Metric point"
        EVENT = "event", "Stakeholder event"
        END = "end", "End of scenario"

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=Kind)
    offset_seconds = models.FloatField(help_text="Drill-clock offset from the start.")
    due_at = models.DateTimeField(help_text="Wall time when it is due.")
    data = models.JSONField(default=dict)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["drill", "index"]
        constraints = [
            models.UniqueConstraint(fields=["drill", "index"], name="one_step_per_index")
        ]
        indexes = [models.Index(fields=["applied_at", "due_at"], name="drillstep_due")]


class ActionItem(models.Model):
    """An improvement with an owner and a due date, from a review or a drill debrief.

    Overdue items are reminded (owner) and then escalated (incident commander)
    by the learning tick, claimed with conditional UPDATEs like cadence
    deadlines, through the same outbox (comms Delivery rows).
    """

    class Category(models.TextChoices):
        DATA_ENGINEERING = "data_engineering", "Data engineering fix"
        MONITORING = "monitoring", "Monitoring enhancement"
        GOVERNANCE = "governance", "Governance change"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="action_items")
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    drill = models.ForeignKey(
        Drill, null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_at = models.DateTimeField()
    expected_outcome = models.TextField()
    category = models.CharField(max_length=20, choices=Category)
    status = models.CharField(max_length=12, choices=Status, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"], name="actionitem_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.IN_PROGRESS)
