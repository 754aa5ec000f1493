"""Helpers and fixtures shared by the status-page and chart tests (no tests here)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from comms import workflows
from comms.models import StatusUpdate
from comms.services import create_draft, publish_update, sign_off, submit_for_signoff
from incidents.choices import Phase, Role
from incidents.health_metrics import PointIn, ingest_metric_points
from incidents.models import Incident, MonitoredModel
from incidents.services import assign_role


@pytest.fixture
def own_cache_prefix(settings):
    """Give the test its own cache key space in the shared Redis (no flush, no collisions)."""
    caches = {name: dict(conf) for name, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"icc-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


def declare(
    commander,
    model: MonitoredModel | None = None,
    *,
    title: str = "FP surge",
    severity: int = 2,
    hours_ago: float = 3,
    is_drill: bool = False,
    **fields,
) -> Incident:
    return workflows.declare_incident(
        by=commander,
        title=title,
        severity=severity,
        models=[(model, "")] if model else [],
        detected_at=timezone.now() - timedelta(hours=hours_ago),
        is_drill=is_drill,
        **fields,
    )


def publish(
    incident: Incident, commander, comms_lead, *, regulator_liaison=None, **renditions
) -> StatusUpdate:
    """Publish an update with the given renditions, taking every step the rules ask for."""
    roles = set(incident.roles.filter(ended_at__isnull=True).values_list("role", flat=True))
    if Role.COMMS_LEAD not in roles:
        assign_role(incident=incident, role=Role.COMMS_LEAD, user=comms_lead, by=commander)
    if regulator_liaison is not None and Role.REGULATOR not in roles:
        assign_role(incident=incident, role=Role.REGULATOR, user=regulator_liaison, by=commander)
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed="Rolled back to v41",
        uncertain="Root cause",
        renditions=renditions,
    )
    if "regulator" in renditions and regulator_liaison is not None:
        submit_for_signoff(update=update, by=commander)
        sign_off(update=update, by=regulator_liaison)
    return publish_update(update=update, by=comms_lead, acknowledge_jargon=True)


def resolve(incident: Incident, commander) -> Incident:
    workflows.reach_milestone(
        incident=incident, phase=Phase.RESOLVED, indicator="FP < 2 % for 1 h", by=commander
    )
    incident.refresh_from_db()
    return incident


def add_points(
    model: MonitoredModel,
    metric: str,
    values: list[float],
    *,
    start: datetime,
    step: timedelta = timedelta(minutes=10),
    is_drill: bool = False,
) -> None:
    points = [PointIn(metric, start + i * step, v) for i, v in enumerate(values)]
    for i in range(0, len(points), 10_000):
        ingest_metric_points(model=model, points=points[i : i + 10_000], is_drill=is_drill)
