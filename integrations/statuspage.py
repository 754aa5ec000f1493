"""Statuspage v2-compatible documents built from customer-facing content only.

Monitored models are the components; real (non-drill) incidents with at
least one *published customer rendition* are the incidents. Nothing else an
incident carries (title, scope, summary, notes, other audiences' renditions,
drafts, drills) is read into these documents. See docs/statuspage.md for the
mapping tables.

Every builder runs a fixed number of queries whatever the number of
incidents; the views cache their output per `data_version`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, cast

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from comms import status_versions
from comms.models import Rendition, StatusUpdate
from incidents.choices import OPEN_PHASES, Audience, Phase
from incidents.models import AffectedModel, Milestone, MonitoredModel
from kit import cache as kit_cache
from publicstatus import components as public_components
from publicstatus.models import ComponentState, Maintenance, MaintenanceUpdate
from publicstatus.visibility import customer_published, visible_incidents

# Bump when the documents change shape, so old cache entries are not served.
SCHEMA = "3"
PAGE_ID = "icc"
INCIDENTS_LIMIT = 50

PHASE_STATUS: dict[str, str] = {
    Phase.DETECTED: "investigating",
    Phase.DECLARED: "investigating",
    Phase.ROOT_CAUSE_IDENTIFIED: "identified",
    Phase.CONTAINED: "monitoring",
    Phase.RECOVERED: "monitoring",
    Phase.RESOLVED: "resolved",
    Phase.REVIEWED: "postmortem",
}
SEVERITY_IMPACT = {1: "critical", 2: "major", 3: "minor", 4: "minor"}
SEVERITY_COMPONENT: dict[int, str] = dict(public_components.SEVERITY_STATE)
INDICATOR_DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
IMPACT_ORDER = ["none", "minor", "major", "critical"]


# --- Version --------------------------------------------------------------------------


_customer_published = customer_published


def data_version(*, now: datetime | None = None) -> str:
    """Return the version key of the documents: one tiny query (kit.versions counters).

    The public counter moves when a real or drill incident, a status update or
    rendition, a monitored model or an affected-model link is written
    (comms/status_versions.py); the key also moves every hour (so the
    documents' time windows move on).
    """
    version, _ = kit_cache.data_version([status_versions.PUBLIC], scope=[SCHEMA], now=now)
    return version


def last_customer_publication() -> datetime | None:
    """When a customer rendition of a real incident was last published (the page's updated_at)."""
    last = (
        StatusUpdate.objects.filter(
            status=StatusUpdate.Status.PUBLISHED,
            incident__is_drill=False,
            renditions__audience=Audience.CUSTOMER,
        )
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return _aware(last)


def _aware(last: datetime | str | None) -> datetime | None:
    """Return the last publication as an aware datetime: SQLite's raw SQL hands back naive text."""
    if isinstance(last, str):
        last = datetime.fromisoformat(last)
    if last is not None and timezone.is_naive(last):
        last = last.replace(tzinfo=UTC)
    return last


# --- Helpers --------------------------------------------------------------------------


def ts(value: datetime | None) -> str | None:
    """Format a time the way Statuspage does (ISO 8601 with milliseconds and an offset), in UTC."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds") if value else None


def page_document(updated_at: datetime | None) -> dict[str, Any]:
    site = settings.SITE_URL.rstrip("/")
    return {
        "id": PAGE_ID,
        "name": settings.STATUS_PAGE_NAME,
        "url": f"{site}/status/public/",
        "time_zone": "Etc/UTC",
        "updated_at": ts(updated_at or timezone.now()),
    }


def status_document(impacts: list[str]) -> dict[str, str]:
    indicator = max(impacts, key=IMPACT_ORDER.index, default="none")
    return {"indicator": indicator, "description": INDICATOR_DESCRIPTION[indicator]}


def component_id(slug: str) -> str:
    return f"model-{slug}"


def incident_id(pk: int) -> str:
    return f"inc-{pk}"


def _visible_incidents():
    """Real incidents with at least one published customer rendition."""
    return visible_incidents()


# --- Components -----------------------------------------------------------------------


def components(fallback: datetime | None) -> list[dict[str, Any]]:
    """The customer-facing components, groups included, in Statuspage's shape: three queries.

    States come from publicstatus.components, the same answer /status/public/ shows.
    A group is an entry with `group: true` listing its members' ids; members carry
    its id in `group_id`; its status is its worst member's.
    """
    result: list[dict[str, Any]] = []
    for name, members in public_components.grouped(public_components.public_components()):
        gid = public_components.group_id(name) if name else None
        if gid:
            result.append(
                _component(
                    id=gid,
                    name=name,
                    status=ComponentState.worst(m.state for m in members),
                    created_at=min((m.first_at for m in members if m.first_at), default=None),
                    updated_at=max((m.last_at for m in members if m.last_at), default=None),
                    fallback=fallback,
                    position=len(result) + 1,
                    group=True,
                )
                | {"components": [m.id for m in members]}
            )
        for member in members:
            result.append(
                _component(
                    id=member.id,
                    name=member.name,
                    status=member.state,
                    created_at=member.first_at,
                    updated_at=member.last_at,
                    fallback=fallback,
                    position=len(result) + 1,
                    description=member.description or None,
                    group_id=gid,
                )
            )
    return result


def _component(
    *,
    id: str,
    name: str,
    status: str,
    created_at: datetime | None,
    updated_at: datetime | None,
    fallback: datetime | None,
    position: int,
    description: str | None = None,
    group_id: str | None = None,
    group: bool = False,
) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "status": status,
        "created_at": ts(created_at or fallback),
        "updated_at": ts(updated_at or fallback),
        "position": position,
        "description": description,
        "showcase": not group,
        "start_date": None,
        "group_id": group_id,
        "page_id": PAGE_ID,
        "group": group,
        "only_show_if_degraded": False,
    }


# --- Incidents ------------------------------------------------------------------------


def _phase_at(milestones: list[tuple[str, datetime]], when: datetime, current: str) -> str:
    """Return the furthest phase whose milestone was reached by `when` (the current phase if none)."""
    reached = [phase for phase, at in milestones if at <= when]
    return max(reached, key=Phase.order) if reached else current


def incidents(*, unresolved: bool, comps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Visible incidents, newest first (the last 50, or every unresolved one): four queries."""
    qs = _visible_incidents()
    if unresolved:
        qs = qs.filter(phase__in=OPEN_PHASES)
    rows = list(
        qs.order_by("-detected_at", "-pk").only(
            "pk", "severity", "phase", "detected_at", "resolved_at"
        )[: None if unresolved else INCIDENTS_LIMIT]
    )
    ids = [i.pk for i in rows]
    renditions: dict[int, list[Rendition]] = defaultdict(list)
    for r in (
        Rendition.objects.filter(update__incident_id__in=ids, **_customer_published())
        .select_related("update")
        .only(
            "pk", "summary", "body", "update__incident_id", "update__number", "update__published_at"
        )
        .order_by("update__published_at", "update__number")
    ):
        renditions[r.update.incident_id].append(r)
    milestones: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for pk, phase, at in Milestone.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "phase", "reached_at"
    ):
        milestones[pk].append((phase, at))
    by_slug = {c["id"]: c for c in comps}
    linked: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for pk, slug, name in (
        AffectedModel.objects.filter(incident_id__in=ids)
        .order_by("model__name", "model_id")
        .values_list("incident_id", "model__slug", "model__name")
    ):
        entry = by_slug.get(component_id(slug))  # None: not customer-facing, never named
        if entry is not None and entry not in linked[pk]:
            linked[pk].append(entry)

    result = []
    for incident in rows:
        iid = incident_id(incident.pk)
        status = PHASE_STATUS[incident.phase]
        published = renditions[incident.pk]
        updates, previous = [], "operational"
        monitoring_at = None
        for r in published:
            at = cast(datetime, r.update.published_at)  # renditions of published updates only
            update_status = PHASE_STATUS[_phase_at(milestones[incident.pk], at, incident.phase)]
            if update_status == "monitoring" and monitoring_at is None:
                monitoring_at = at
            new = (
                "operational"
                if update_status in ("resolved", "postmortem")
                else SEVERITY_COMPONENT[incident.severity]
            )
            body = r.summary + ("\n\n" + r.body if r.body.strip() else "")
            updates.append(
                {
                    "id": f"{iid}-upd-{r.update.number}",
                    "status": update_status,
                    "body": body,
                    "incident_id": iid,
                    "created_at": ts(at),
                    "updated_at": ts(at),
                    "display_at": ts(at),
                    "affected_components": [
                        {
                            "code": c["id"],
                            "name": c["name"],
                            "old_status": previous,
                            "new_status": new,
                        }
                        for c in linked[incident.pk]
                    ],
                    "deliver_notifications": True,
                    "custom_tweet": None,
                    "tweet_id": None,
                }
            )
            previous = new
        if status == "monitoring" and monitoring_at is None:
            monitoring_at = next(
                (
                    at
                    for phase, at in sorted(milestones[incident.pk], key=lambda m: m[1])
                    if PHASE_STATUS.get(phase) == "monitoring"
                ),
                None,
            )
        result.append(
            {
                "id": iid,
                "name": published[0].summary,
                "status": status,
                "created_at": ts(published[0].update.published_at),
                "updated_at": ts(published[-1].update.published_at),
                "monitoring_at": ts(monitoring_at),
                "resolved_at": ts(incident.resolved_at)
                if status in ("resolved", "postmortem")
                else None,
                "impact": SEVERITY_IMPACT[incident.severity],
                "shortlink": f"{settings.SITE_URL.rstrip('/')}/status/public/#{iid}",
                "started_at": ts(incident.detected_at),
                "page_id": PAGE_ID,
                "incident_updates": list(
                    reversed(updates)
                ),  # newest first, as Statuspage lists them
                "components": linked[incident.pk],
            }
        )
    return result


# --- Scheduled maintenance ------------------------------------------------------------

MAINTENANCE_LIMIT = 50


def maintenance_id(pk: int) -> str:
    return f"mnt-{pk}"


def scheduled_maintenances(which: str, comps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Announced maintenance in Statuspage's shape: two queries.

    `which`: "all" (the last 50 by scheduled start, newest first), "upcoming"
    (scheduled, soonest first), "active" (in progress or verifying), or
    "summary" (active, then upcoming).
    """
    qs = Maintenance.objects.filter(announced_at__isnull=False)
    Status = Maintenance.Status
    if which == "upcoming":
        qs = qs.filter(status=Status.SCHEDULED).order_by("scheduled_for", "pk")
    elif which == "active":
        qs = qs.filter(status__in=public_components.ACTIVE_MAINTENANCE).order_by(
            "scheduled_for", "pk"
        )
    elif which == "summary":
        qs = qs.filter(
            status__in=(Status.SCHEDULED, *public_components.ACTIVE_MAINTENANCE)
        ).order_by("scheduled_for", "pk")
    else:
        qs = qs.order_by("-scheduled_for", "-pk")[:MAINTENANCE_LIMIT]
    rows = list(
        qs.prefetch_related(
            Prefetch("updates", queryset=MaintenanceUpdate.objects.order_by("-created_at", "-pk")),
            Prefetch("components", queryset=MonitoredModel.objects.only("pk", "slug")),
        )
    )
    if which == "summary":
        rows.sort(key=lambda m: (not m.is_active, m.scheduled_for, m.pk))
    by_id = {c["id"]: c for c in comps}
    site = settings.SITE_URL.rstrip("/")
    result = []
    for m in rows:
        mid = maintenance_id(m.pk)
        members = [
            by_id[component_id(c.slug)] for c in m.components.all() if component_id(c.slug) in by_id
        ]
        result.append(
            {
                "id": mid,
                "name": m.name,
                "status": m.status if m.status != Status.CANCELLED else "completed",
                "created_at": ts(m.announced_at),
                "updated_at": ts(m.updated_at),
                "monitoring_at": None,
                "resolved_at": ts(m.completed_at or m.cancelled_at),
                "impact": m.impact,
                "shortlink": f"{site}/status/public/#{mid}",
                "started_at": ts(m.started_at or m.scheduled_for),
                "page_id": PAGE_ID,
                "incident_updates": [
                    {
                        "id": f"{mid}-upd-{u.pk}",
                        "status": u.status if u.status != Status.CANCELLED else "completed",
                        "body": u.body,
                        "incident_id": mid,
                        "created_at": ts(u.created_at),
                        "updated_at": ts(u.created_at),
                        "display_at": ts(u.created_at),
                        "affected_components": [
                            {
                                "code": c["id"],
                                "name": c["name"],
                                "old_status": "operational",
                                "new_status": "under_maintenance"
                                if u.status in public_components.ACTIVE_MAINTENANCE
                                else "operational",
                            }
                            for c in members
                        ],
                        "deliver_notifications": True,
                        "custom_tweet": None,
                        "tweet_id": None,
                    }
                    for u in m.updates.all()
                ],
                "components": members,
                "scheduled_for": ts(m.scheduled_for),
                "scheduled_until": ts(m.scheduled_until),
            }
        )
    return result


# --- Documents ------------------------------------------------------------------------


def build(endpoint: str) -> dict[str, Any]:
    """Build the document for one endpoint name (see statuspage_urls)."""
    last_published = last_customer_publication()
    page = page_document(last_published)
    if endpoint.startswith("scheduled-maintenances"):
        which = endpoint.removeprefix("scheduled-maintenances").lstrip("-") or "all"
        comps = components(last_published)
        return {"page": page, "scheduled_maintenances": scheduled_maintenances(which, comps)}
    if endpoint == "status":
        impacts = [
            SEVERITY_IMPACT[s]
            for s in _visible_incidents().open().values_list("severity", flat=True)
        ]
        return {"page": page, "status": status_document(impacts)}
    comps = components(last_published)
    if endpoint == "components":
        return {"page": page, "components": comps}
    if endpoint in ("incidents", "incidents-unresolved"):
        return {
            "page": page,
            "incidents": incidents(unresolved=endpoint == "incidents-unresolved", comps=comps),
        }
    if endpoint == "summary":
        open_incidents = incidents(unresolved=True, comps=comps)
        return {
            "page": page,
            "components": comps,
            "incidents": open_incidents,
            "scheduled_maintenances": scheduled_maintenances("summary", comps),
            "status": status_document([i["impact"] for i in open_incidents]),
        }
    raise KeyError(endpoint)
