"""Uptime history: the worst state of each of the last 90 days (UTC) per component.

Computed from what customers were told, in three queries whatever the number
of components, incidents or windows:

1. the links between customer-facing models and visible real incidents open
   at some time in the window (severity, detected and resolved times);
2. those incidents' contained and recovered milestones;
3. the started windows of announced maintenance and their components.

An incident counts from its detection: at its severity's state until it is
contained, `degraded_performance` at most until it is recovered, and not at all
once recovered (as the live state does, publicstatus.components). A window
counts as `under_maintenance` from its start until it completes. The public
page is cached per data version and hour, so the days move on by themselves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from incidents.choices import Phase
from incidents.models import AffectedModel, Milestone
from publicstatus.components import SEVERITY_STATE, PublicComponent
from publicstatus.models import ComponentState, Maintenance
from publicstatus.visibility import visible_incidents

DAYS = 90


@dataclass(frozen=True)
class Day:
    day: date
    state: str

    @property
    def label(self) -> str:
        return str(ComponentState(self.state).label)


@dataclass(frozen=True)
class History:
    days: list[Day]

    @property
    def clear_days(self) -> int:
        return sum(1 for d in self.days if d.state == ComponentState.OPERATIONAL)

    @property
    def summary(self) -> str:
        """The text alternative of the bars: what a screen reader hears first."""
        worst = ComponentState.worst(d.state for d in self.days)
        text = f"{self.clear_days} of {len(self.days)} days without incident or maintenance"
        if worst != ComponentState.OPERATIONAL:
            text += f"; worst: {ComponentState(worst).label.lower()}"
        return text + "."


def _days(start: datetime, end: datetime, first: date, last: date) -> list[date]:
    """The UTC days [start, end) touches, clipped to [first, last]."""
    a = max(start.astimezone(UTC).date(), first)
    b = min((end - timedelta(microseconds=1)).astimezone(UTC).date(), last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)] if b >= a else []


def histories(
    components: list[PublicComponent], *, now: datetime | None = None
) -> dict[int, History]:
    """Return {model id: History of the last DAYS days, oldest first}: three queries."""
    now = now or timezone.now()
    last = now.astimezone(UTC).date()
    first = last - timedelta(days=DAYS - 1)
    window_start = datetime.combine(first, time.min, tzinfo=UTC)
    ids = [c.model_id for c in components]
    worst: dict[int, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))

    open_in_window = visible_incidents().filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=window_start)
    )
    links = list(
        AffectedModel.objects.filter(
            model_id__in=ids, incident__in=open_in_window.values("pk")
        ).values_list(
            "model_id",
            "incident_id",
            "incident__severity",
            "incident__detected_at",
            "incident__resolved_at",
        )
    )
    reached: dict[int, dict[str, datetime]] = defaultdict(dict)
    # By subquery, not by the ids just read: the query runs (and counts) even when none.
    for incident_id, phase, at in Milestone.objects.filter(
        incident__in=open_in_window.values("pk"),
        incident__affected_links__model_id__in=ids,
        phase__in=(Phase.CONTAINED, Phase.RECOVERED),
    ).values_list("incident_id", "phase", "reached_at"):
        reached[incident_id].setdefault(phase, at)
        reached[incident_id][phase] = min(reached[incident_id][phase], at)
    for model_id, incident_id, severity, detected, resolved in links:
        end = resolved or now
        recovered = min(reached[incident_id].get(Phase.RECOVERED, end), end)
        contained = min(reached[incident_id].get(Phase.CONTAINED, recovered), recovered)
        for day in _days(detected, contained, first, last):
            worst[model_id][day].append(SEVERITY_STATE[severity])
        for day in _days(contained, recovered, first, last):
            worst[model_id][day].append(
                min(
                    (SEVERITY_STATE[severity], ComponentState.DEGRADED_PERFORMANCE),
                    key=ComponentState.values.index,
                )
            )

    for model_id, started, completed in Maintenance.objects.filter(
        announced_at__isnull=False,
        started_at__isnull=False,
        components__id__in=ids,
    ).values_list("components__id", "started_at", "completed_at"):
        for day in _days(started or now, completed or now, first, last):  # started: not null
            worst[model_id][day].append(ComponentState.UNDER_MAINTENANCE)

    span = [first + timedelta(days=i) for i in range(DAYS)]
    return {
        model_id: History([Day(d, ComponentState.worst(worst[model_id][d])) for d in span])
        for model_id in ids
    }
