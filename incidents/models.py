"""The incident domain: watched models, incidents, roles, playbooks, the log."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from incidents.choices import (
    DEFAULT_CADENCE_MINUTES,
    OPEN_PHASES,
    Audience,
    DecisionType,
    ExposureLevel,
    Phase,
    Role,
    Severity,
    Source,
)


class MonitoredModel(models.Model):
    """A production ML model whose health the console watches."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    team = models.CharField(max_length=120, help_text="Owning team")
    business_function = models.CharField(max_length=200)
    risk_tier = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text="1 is the highest risk.",
    )
    current_version = models.CharField(max_length=60, blank=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # A drill that finds no watched model of its scenario's slug creates one;
    # it must never appear on public surfaces (Statuspage components).
    is_drill = models.BooleanField(
        default=False,
        help_text="Created by a drill: hidden from status pages and Statuspage components.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_tier__gte=1, risk_tier__lte=3), name="model_risk_tier_1_to_3"
            )
        ]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ImpactEstimate:
    customers_per_hour: float
    revenue_per_hour: Decimal

    def __add__(self, other: ImpactEstimate) -> ImpactEstimate:
        return ImpactEstimate(
            self.customers_per_hour + other.customers_per_hour,
            self.revenue_per_hour + other.revenue_per_hour,
        )


NO_IMPACT = ImpactEstimate(0.0, Decimal("0"))


class ImpactRule(models.Model):
    """Translate one health metric into business terms.

    "Each `step` of `metric` above `baseline` costs ≈ `customers_per_step`
    customers and ≈ `revenue_per_step` of revenue per hour." Rules are data:
    they are evaluated by arithmetic, never by eval.
    """

    class Direction(models.TextChoices):
        ABOVE = "above", "above baseline is bad"
        BELOW = "below", "below baseline is bad"

    model = models.ForeignKey(MonitoredModel, on_delete=models.CASCADE, related_name="impact_rules")
    metric = models.CharField(max_length=64)
    direction = models.CharField(max_length=5, choices=Direction, default=Direction.ABOVE)
    baseline = models.FloatField()
    step = models.FloatField(default=1.0, help_text="Size of one unit of excess, in metric units.")
    customers_per_step = models.FloatField(default=0.0)
    revenue_per_step = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    unit_label = models.CharField(
        max_length=120, help_text='What one step costs, e.g. "customers wrongly declined per hour"'
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["model", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["model", "metric"], name="one_rule_per_model_metric"),
            models.CheckConstraint(condition=Q(step__gt=0), name="impact_rule_step_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.model}: {self.metric} {self.direction} {self.baseline}"

    def excess_steps(self, value: float) -> float:
        """Return how many steps `value` lies on the bad side of the baseline."""
        excess = (
            value - self.baseline
            if self.direction == self.Direction.ABOVE
            else self.baseline - value
        )
        return max(0.0, excess) / self.step

    def evaluate(self, value: float) -> ImpactEstimate:
        steps = self.excess_steps(value)
        revenue = (self.revenue_per_step * Decimal(str(steps))).quantize(Decimal("0.01"))
        return ImpactEstimate(round(steps * self.customers_per_step, 1), revenue)


class MetricPoint(models.Model):
    """One observation of a model's health metric."""

    model = models.ForeignKey(
        MonitoredModel, on_delete=models.CASCADE, related_name="metric_points"
    )
    metric = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    value = models.FloatField()
    # Drill replays write here too, flagged, so they never mix with real data.
    is_drill = models.BooleanField(default=False)

    class Meta:
        ordering = ["model", "metric", "timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "metric", "timestamp", "is_drill"], name="one_point_per_instant"
            )
        ]
        indexes = [models.Index(fields=["model", "metric", "-timestamp"], name="metric_latest")]

    def __str__(self) -> str:
        return f"{self.model_id}/{self.metric}@{self.timestamp:%Y-%m-%dT%H:%M:%SZ}={self.value}"


class IncidentQuerySet(models.QuerySet):
    def open(self) -> IncidentQuerySet:
        return self.filter(phase__in=OPEN_PHASES)

    def real(self) -> IncidentQuerySet:
        return self.filter(is_drill=False)


def incident_reference(pk: int) -> str:
    """Return the reference people quote for incident *pk* (INC-42), in pages and in logs."""
    return f"INC-{pk}"


class Incident(models.Model):
    title = models.CharField(max_length=200)
    severity = models.PositiveSmallIntegerField(choices=Severity)
    phase = models.CharField(max_length=32, choices=Phase, default=Phase.DECLARED)
    scope = models.TextField(blank=True, help_text="What is affected, and what is not.")
    summary = models.TextField(blank=True)
    affected_models = models.ManyToManyField(
        MonitoredModel, through="AffectedModel", related_name="incidents", blank=True
    )
    # Impact figures, in business terms.
    customers_affected = models.PositiveIntegerField(default=0)
    revenue_at_risk_per_hour = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0")
    )
    regulatory_exposure = models.CharField(
        max_length=8, choices=ExposureLevel, default=ExposureLevel.NONE
    )
    regulatory_notes = models.TextField(blank=True)
    customer_experience = models.TextField(blank=True)

    is_drill = models.BooleanField(default=False)
    # Drill clock: simulated minutes per wall minute (1 for real incidents). Stored
    # times are wall times; cadence and drill scores scale durations by this factor.
    clock_factor = models.PositiveIntegerField(default=1)
    # Keep notifications in-app: nothing goes to e-mail, Slack, webhooks or Apprise. A drill
    # started with "suppress external notifications" sets it when it declares the incident.
    suppress_external = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=Source, default=Source.MANUAL)
    dedup_key = models.CharField(max_length=255, blank=True)

    detected_at = models.DateTimeField()
    declared_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            # One open incident per alert group / dedup key and source.
            models.UniqueConstraint(
                fields=["source", "dedup_key"],
                condition=Q(phase__in=OPEN_PHASES) & ~Q(dedup_key=""),
                name="one_open_incident_per_dedup_key",
            ),
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=4), name="severity_1_to_4"
            ),
        ]
        indexes = [models.Index(fields=["phase", "severity"], name="incident_phase_sev")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return incident_reference(self.pk)

    @property
    def severity_label(self) -> str:
        return f"SEV{self.severity}"

    @property
    def is_open(self) -> bool:
        return self.phase in OPEN_PHASES

    def risk_tier(self) -> int | None:
        """Return the highest risk (lowest number) among the affected models."""
        tiers = [m.risk_tier for m in self.affected_models.all()]
        return min(tiers) if tiers else None


class AffectedModel(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected_links")
    model = models.ForeignKey(MonitoredModel, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "model", "version"], name="affected_once")
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.version}".strip()


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self) -> RoleAssignmentQuerySet:
        return self.filter(ended_at__isnull=True)


class RoleAssignment(models.Model):
    """Who holds an incident role, from when to when.

    A hand-off ends the current assignment and starts a new one, so the
    history of every role stays readable.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=32, choices=Role)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_roles"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "role", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=Q(ended_at__isnull=True),
                name="one_holder_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


def _valid_escalation_path(path: object) -> bool:
    """A list of steps {"after_minutes": int ≥ 0 (optional), "notify": [roles, at least one]}, in time order."""
    if not isinstance(path, list):
        return False
    previous = 0
    for step in path:
        if not isinstance(step, dict) or set(step) - {"after_minutes", "notify"}:
            return False
        notify, minutes = step.get("notify"), step.get("after_minutes", 0)
        if not isinstance(notify, list) or not notify or any(r not in Role.values for r in notify):
            return False
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < previous:
            return False
        previous = minutes
    return True


class Playbook(models.Model):
    """How incidents of a severity (and optionally a model risk tier) are run.

    The JSON fields are validated by `clean()`; missing entries fall back to
    the defaults in incidents.choices (decision rights: incidents.rights).
    """

    name = models.CharField(max_length=120)
    severity = models.PositiveSmallIntegerField(
        choices=Severity, null=True, blank=True, help_text="Blank: any severity"
    )
    risk_tier = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text="Blank: any tier",
    )
    cadence_minutes = models.JSONField(
        default=dict,
        blank=True,
        help_text='Minutes between updates per audience, e.g. {"executive": 30}',
    )
    escalation_grace_minutes = models.PositiveIntegerField(default=10)
    escalation_path = models.JSONField(
        default=list,
        blank=True,
        help_text='Ordered steps, e.g. [{"after_minutes": 0, "notify": ["commander"]}]',
    )
    notification_thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text='Lowest severity number that notifies an audience, e.g. {"customer": 2}',
    )
    decision_rights = models.JSONField(
        default=dict,
        blank=True,
        help_text='Decision -> roles that may take it, e.g. {"rollback_model": ["commander"]}',
    )
    approvals = models.JSONField(
        default=dict,
        blank=True,
        help_text='Decision -> role whose approval it needs, e.g. {"customer_notice": "liaison_executive"}',
    )
    # Four eyes: whoever signs off the regulator rendition may not publish
    # that update. Off only where one person must do both (a solo drill).
    four_eyes_regulator = models.BooleanField(
        default=True,
        help_text="The regulator liaison who signs off a regulator rendition cannot also publish that update.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["severity", "risk_tier", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["severity", "risk_tier"],
                condition=Q(is_active=True),
                name="one_active_playbook_per_scope",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.cadence_minutes, dict) or any(
            a not in Audience.values or not isinstance(m, int) or isinstance(m, bool) or m < 1
            for a, m in self.cadence_minutes.items()
        ):
            errors["cadence_minutes"] = (
                f"Map audiences ({', '.join(Audience.values)}) to whole minutes ≥ 1."
            )
        if not isinstance(self.decision_rights, dict) or any(
            d not in DecisionType.values
            or not isinstance(r, list)
            or any(x not in Role.values for x in r)
            for d, r in self.decision_rights.items()
        ):
            errors["decision_rights"] = "Map decision types to lists of roles."
        if not isinstance(self.approvals, dict) or any(
            d not in DecisionType.values or r not in Role.values for d, r in self.approvals.items()
        ):
            errors["approvals"] = "Map decision types to the role whose approval they need."
        if not isinstance(self.notification_thresholds, dict) or any(
            a not in Audience.values or s not in Severity.values
            for a, s in self.notification_thresholds.items()
        ):
            errors["notification_thresholds"] = "Map audiences to a severity number 1–4."
        if not _valid_escalation_path(self.escalation_path):
            errors["escalation_path"] = (
                'A list of steps like {"after_minutes": 10, "notify": ["liaison_executive"]}: each names roles, '
                "after_minutes (optional) is whole minutes ≥ 0 and never smaller than the step before."
            )
        if self.is_active:
            # The unique constraint treats blank (NULL) scopes as distinct, so
            # check "any severity" / "any tier" duplicates here.
            twins = Playbook.objects.filter(
                is_active=True, severity=self.severity, risk_tier=self.risk_tier
            )
            if twins.exclude(pk=self.pk).exists():
                errors["severity"] = "An active playbook for this severity and risk tier exists."
        if errors:
            raise ValidationError(errors)

    @classmethod
    def for_incident(
        cls, incident: Incident, *, candidates: list[Playbook] | None = None
    ) -> Playbook | None:
        """Return the most specific active playbook for the incident, if any."""
        tier = incident.risk_tier()
        if candidates is None:
            candidates = list(
                cls.objects.filter(is_active=True).filter(
                    Q(severity=incident.severity) | Q(severity__isnull=True),
                    Q(risk_tier=tier) | Q(risk_tier__isnull=True),
                )
            )
        ranked = sorted(
            (
                p
                for p in candidates
                if p.severity in (incident.severity, None) and p.risk_tier in (tier, None)
            ),
            key=lambda p: (p.severity is None, p.risk_tier is None),
        )
        return ranked[0] if ranked else None

    def requires_four_eyes(self, audience: str) -> bool:
        return audience == Audience.REGULATOR and self.four_eyes_regulator

    def cadence_for(self, audience: str, severity: int) -> int:
        return int(self.cadence_minutes.get(audience, DEFAULT_CADENCE_MINUTES[severity]))


def cadence_minutes_for(playbook: Playbook | None, audience: str, severity: int) -> int:
    return (
        playbook.cadence_for(audience, severity) if playbook else DEFAULT_CADENCE_MINUTES[severity]
    )


class Milestone(models.Model):
    """A phase reached, when, and the observable indicator that proved it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="milestones")
    phase = models.CharField(max_length=32, choices=Phase)
    reached_at = models.DateTimeField()
    indicator = models.CharField(max_length=300, help_text='e.g. "FP rate < 2 % for 30 min"')
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["incident", "reached_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "phase"], name="phase_reached_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()} at {self.reached_at:%Y-%m-%d %H:%M}"


# The decision log and its checkpoints live in incidents.decision_log; importing them
# here is what registers them with Django (app label, table and migrations unchanged).
from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint  # noqa: E402, F401
