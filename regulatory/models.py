"""Regulatory obligations of an incident: triage answers, moments, deadlines and reports.

History is kept, never rewritten: a new triage or a new moment supersedes the old
row (the old one stays, `superseded_at` set), a re-plan cancels obligations it no
longer needs (`cancelled_at`), and a submitted report is immutable. Every change
is also in the incident's decision log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import Incident


class ReportImmutable(Exception):
    """A submitted report cannot change."""


class Triage(models.Model):
    """The answers to one regime's questions for one incident, and whether it applies."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="triages")
    regime = models.SlugField(max_length=60)
    regime_digest = models.CharField(max_length=16, help_text="The regime file as answered.")
    answers = models.JSONField(default=dict)
    applies = models.BooleanField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "regime", "answered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "regime"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_triage_per_regime",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.incident_id} {self.regime}: {'applies' if self.applies else 'does not apply'}"
        )


class Moment(models.Model):
    """An explicit, logged moment a clock starts from ("became aware", "classified as major")."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="moments")
    name = models.CharField(max_length=40)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "name", "recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "name"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_moment_per_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.name} at {self.at:%Y-%m-%d %H:%M}"


class ObligationQuerySet(models.QuerySet):
    def current(self) -> ObligationQuerySet:
        return self.filter(cancelled_at__isnull=True)


class Obligation(models.Model):
    """One report a regime asks for, with its deadline: a clock like the update cadence.

    `due_at` is empty while the moment its clock starts from is not reached ("not
    started"). The tick claims rows whose `next_action_at` has come: a reminder at
    25 % of the window left and one an hour before, an escalation at the deadline.
    """

    class Outcome(models.TextChoices):
        MET = "met", "Met"
        MISSED = "missed", "Missed"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="obligations")
    triage = models.ForeignKey(Triage, on_delete=models.PROTECT, related_name="obligations")
    regime = models.SlugField(max_length=60)
    report = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    clock_from = models.CharField(max_length=80)
    window = models.CharField(max_length=20, help_text="The binding window, ISO 8601.")
    cite = models.CharField(max_length=200)
    starts_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    is_drill = models.BooleanField(default=False)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    next_action_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    objects = ObligationQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "regime", "report"],
                condition=Q(cancelled_at__isnull=True),
                name="one_current_obligation_per_report",
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.regime}/{self.report}"

    @property
    def started(self) -> bool:
        return self.due_at is not None


class RegulatoryReport(models.Model):
    """The draft of one obligation's report: fields, four-eyes sign-off, submission."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED_OFF = "signed_off", "Signed off"
        SUBMITTED = "submitted", "Submitted"

    obligation = models.OneToOneField(Obligation, on_delete=models.PROTECT, related_name="draft")
    fields = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField()
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=200, blank=True)
    authority_reference = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"report of {self.obligation}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            not self._state.adding
            and RegulatoryReport.objects.filter(pk=self.pk, status=self.Status.SUBMITTED).exists()
        ):
            raise ReportImmutable("A submitted report cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ReportImmutable("Regulatory reports are never deleted.")
