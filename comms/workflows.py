"""Incident changes that comms must follow: one transaction for both sides.

Views and the API call these instead of the incident services directly, so
declaring opens the first deadlines, a severity change re-plans them and the
end of an incident closes them. (incidents/ knows nothing of comms/.)
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from comms import cadence
from incidents import services
from incidents.choices import OPEN_PHASES
from incidents.models import Incident, Milestone


def declare_incident(**kwargs: Any) -> Incident:
    with transaction.atomic():
        incident = services.declare_incident(**kwargs)
        cadence.open_initial_deadlines(incident, now=incident.declared_at)
    return incident


def change_severity(**kwargs: Any) -> Incident:
    with transaction.atomic():
        incident = services.change_severity(**kwargs)
        cadence.replan(incident, now=timezone.now())
    return incident


def reach_milestone(**kwargs: Any) -> Milestone:
    with transaction.atomic():
        milestone = services.reach_milestone(**kwargs)
        if milestone.phase not in OPEN_PHASES:
            cadence.close_deadlines(milestone.incident, now=timezone.now())
    return milestone
