"""Incident changes that comms must follow: one transaction for both sides.

The one way other apps (pages, the API, integrations, drills, the demo)
declare an incident, change its severity or move it to a milestone: declaring
opens the first deadlines, a severity change re-plans them and the end of an
incident closes them. (incidents/ knows nothing of comms/.) The signatures
are spelled out, not passed through, so a caller reads here what it may say.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from comms import cadence
from incidents import services
from incidents.choices import OPEN_PHASES, ExposureLevel, Source
from incidents.models import Incident, Milestone, MonitoredModel


def declare_incident(
    *,
    by: AbstractBaseUser | None,
    title: str,
    severity: int,
    scope: str = "",
    summary: str = "",
    models: Sequence[tuple[MonitoredModel, str]] = (),
    customers_affected: int = 0,
    revenue_at_risk_per_hour: Decimal | int | str = 0,
    regulatory_exposure: str = ExposureLevel.NONE,
    customer_experience: str = "",
    is_drill: bool = False,
    source: str = Source.MANUAL,
    dedup_key: str = "",
    detected_at: datetime | None = None,
    detection_indicator: str = "",
    actor_label: str = "",
    commander: AbstractBaseUser | None = None,
    clock_factor: int = 1,
    suppress_external: bool = False,
) -> Incident:
    """Declare the incident and open its first deadlines.

    `clock_factor` (a drill's accelerated clock) and `suppress_external` (keep
    every notification in-app) are set before the first deadlines open, so the
    cadence runs on the incident's own clock from its first minute.
    """
    with transaction.atomic():
        incident = services.declare_incident(
            by=by,
            title=title,
            severity=severity,
            scope=scope,
            summary=summary,
            models=models,
            customers_affected=customers_affected,
            revenue_at_risk_per_hour=revenue_at_risk_per_hour,
            regulatory_exposure=regulatory_exposure,
            customer_experience=customer_experience,
            is_drill=is_drill,
            source=source,
            dedup_key=dedup_key,
            detected_at=detected_at,
            detection_indicator=detection_indicator,
            actor_label=actor_label,
            commander=commander,
        )
        if (clock_factor, suppress_external) != (incident.clock_factor, incident.suppress_external):
            incident.clock_factor, incident.suppress_external = clock_factor, suppress_external
            incident.save(update_fields=["clock_factor", "suppress_external", "updated_at"])
        cadence.open_initial_deadlines(incident, now=incident.declared_at)
    return incident


def change_severity(
    *, incident: Incident, severity: int, by: AbstractBaseUser | None, reason: str
) -> Incident:
    """Change the severity (a decision right) and re-plan the open deadlines to its cadence."""
    with transaction.atomic():
        incident = services.change_severity(
            incident=incident, severity=severity, by=by, reason=reason
        )
        cadence.replan(incident, now=timezone.now())
    return incident


def reach_milestone(
    *,
    incident: Incident,
    phase: str,
    indicator: str,
    by: AbstractBaseUser | None,
    reached_at: datetime | None = None,
) -> Milestone:
    """Move the incident to `phase`; once it has ended, its open deadlines close."""
    with transaction.atomic():
        milestone = services.reach_milestone(
            incident=incident, phase=phase, indicator=indicator, by=by, reached_at=reached_at
        )
        if milestone.phase not in OPEN_PHASES:
            cadence.close_deadlines(milestone.incident, now=timezone.now())
    return milestone
