"""Components and their states: one answer for /status/public/ and /api/v2/.

A component's state is the worst of (1) the state of each open, visible
incident affecting its model and (2) `under_maintenance` while an announced
maintenance covering it is in progress or verifying. An incident's state
follows its severity while it is being investigated or identified; once
contained it reads at most `degraded_performance`, and once recovered (the
fix is in and we are monitoring) it no longer degrades the component: a
recovered incident never reads "Major outage". Three queries, whatever the
number of models, incidents or maintenances.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.utils.text import slugify

from comms.models import Rendition
from incidents.choices import OPEN_PHASES, Phase
from incidents.models import AffectedModel, MonitoredModel
from publicstatus.models import ComponentState, Maintenance
from publicstatus.visibility import customer_published, visible_incidents

SEVERITY_STATE = {
    1: ComponentState.MAJOR_OUTAGE,
    2: ComponentState.PARTIAL_OUTAGE,
    3: ComponentState.DEGRADED_PERFORMANCE,
    4: ComponentState.DEGRADED_PERFORMANCE,
}
ACTIVE_MAINTENANCE = (Maintenance.Status.IN_PROGRESS, Maintenance.Status.VERIFYING)


def incident_state(severity: int, phase: str) -> str:
    """Return what an open incident of this severity, in this phase, does to its components."""
    if phase == Phase.RECOVERED:
        return ComponentState.OPERATIONAL
    state = SEVERITY_STATE[severity]
    if phase == Phase.CONTAINED:
        return min((state, ComponentState.DEGRADED_PERFORMANCE), key=ComponentState.values.index)
    return state


def group_id(name: str) -> str:
    return f"group-{slugify(name) or 'unnamed'}"


@dataclass(frozen=True)
class PublicComponent:
    model_id: int
    slug: str
    name: str
    description: str
    group: str
    position: int
    state: str
    first_at: datetime | None
    last_at: datetime | None

    @property
    def id(self) -> str:
        return f"model-{self.slug}"

    def get_state_display(self) -> str:
        return str(ComponentState(self.state).label)


def public_components() -> list[PublicComponent]:
    """Return the customer-facing components with their current state: three queries."""
    published = Rendition.objects.filter(
        update__incident__affected_links__model=OuterRef("pk"),
        update__incident__is_drill=False,
        **customer_published(),
    )
    first = Subquery(published.order_by("update__published_at").values("update__published_at")[:1])
    last = Subquery(published.order_by("-update__published_at").values("update__published_at")[:1])
    models = list(
        MonitoredModel.objects.filter(is_active=True, is_drill=False)
        .exclude(public_component__customer_facing=False)
        .select_related("public_component")
        .annotate(first_at=first, last_at=last)
        .only("pk", "slug", "name", "public_component")
    )
    states: dict[int, list[str]] = defaultdict(list)
    for model_id, severity, phase in AffectedModel.objects.filter(
        incident__in=visible_incidents().filter(phase__in=OPEN_PHASES).values("pk")
    ).values_list("model_id", "incident__severity", "incident__phase"):
        states[model_id].append(incident_state(severity, phase))
    for model_id in Maintenance.objects.filter(
        status__in=ACTIVE_MAINTENANCE, announced_at__isnull=False
    ).values_list("components__id", flat=True):
        if model_id is not None:
            states[model_id].append(ComponentState.UNDER_MAINTENANCE)
    result = []
    for model in models:
        public = getattr(model, "public_component", None)
        result.append(
            PublicComponent(
                model_id=model.pk,
                slug=model.slug,
                name=public.public_name if public else model.name,
                description=public.public_description if public else "",
                group=public.group if public else "",
                position=public.position if public else 0,
                state=ComponentState.worst(states[model.pk]),
                first_at=getattr(model, "first_at", None),
                last_at=getattr(model, "last_at", None),
            )
        )
    result.sort(key=lambda c: (c.group, c.position, c.name, c.model_id))
    return result


def grouped(components: list[PublicComponent]) -> list[tuple[str, list[PublicComponent]]]:
    """Return (group name, components) pairs; ungrouped components first under ''."""
    groups: dict[str, list[PublicComponent]] = {}
    for component in components:
        groups.setdefault(component.group, []).append(component)
    return list(groups.items())
