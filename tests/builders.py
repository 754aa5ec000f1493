"""Builders: the people, incidents, updates and metric points tests start from (no tests here).

Each builder goes through the real services (so log entries, deadlines and deliveries are
what production would write), except `store_published`, which writes rows directly for tests
that need many updates fast. One place for each, instead of a copy per test module.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.utils import timezone
from rest_framework.test import APIClient

from comms import workflows
from comms.models import Rendition, StatusUpdate
from comms.services import create_draft, publish_update, sign_off, submit_for_signoff
from glossary.services import create_term
from incidents.choices import Phase, Role
from incidents.health_metrics import PointIn, ingest_metric_points
from incidents.models import Incident, MonitoredModel
from incidents.services import assign_role
from publicstatus.maintenance import announce_maintenance, schedule_maintenance
from publicstatus.models import Maintenance


def make_user(username: str, *groups: str, **extra: Any) -> User:
    """A user with password "pw" in `groups` (the browser tests sign in with it)."""
    user = User.objects.create_user(
        username=username, password="pw", email=f"{username}@example.test", **extra
    )
    # get_or_create: transactional tests flush the groups the migration made.
    user.groups.set([Group.objects.get_or_create(name=name)[0] for name in groups])
    return user


# --- Incidents ------------------------------------------------------------------------------


def declare(
    commander: User,
    model: MonitoredModel | None = None,
    *,
    title: str = "FP surge",
    severity: int = 2,
    hours_ago: float = 3,
    is_drill: bool = False,
    **fields: Any,
) -> Incident:
    """Declare through comms' workflow, so cadence deadlines open as they do in production."""
    return workflows.declare_incident(
        by=commander,
        title=title,
        severity=severity,
        models=[(model, "")] if model else [],
        detected_at=timezone.now() - timedelta(hours=hours_ago),
        is_drill=is_drill,
        **fields,
    )


def declare_via_api(client: APIClient, severity: int = 2, **extra: Any) -> dict[str, Any]:
    """Declare through the API (so cadence deadlines open) and return the incident's JSON."""
    body = {"title": "Fraud model false-positive surge", "severity": severity, **extra}
    response = client.post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def resolve(
    incident: Incident, commander: User, *, indicator: str = "FP < 2 % for 1 h"
) -> Incident:
    """Reach the resolved milestone (closing the cadence) and return the fresh incident."""
    workflows.reach_milestone(
        incident=incident, phase=Phase.RESOLVED, indicator=indicator, by=commander
    )
    incident.refresh_from_db()
    return incident


def declare_resolved(
    commander: User,
    model: MonitoredModel,
    title: str,
    *,
    liaison: User | None = None,
    severity: int = 3,
) -> Incident:
    """An incident declared and resolved at once (a review can start); `liaison` as regulator liaison."""
    incident = workflows.declare_incident(
        by=commander, title=title, severity=severity, models=[(model, "v42")]
    )
    if liaison:
        assign_role(incident=incident, role=Role.REGULATOR, user=liaison, by=commander)
    return resolve(incident, commander, indicator="FP normal")


# --- Status updates -------------------------------------------------------------------------


def publish(
    incident: Incident,
    by: User,
    *audiences: str,
    summary: str = "Update for {audience}",
    what_changed: str = "Rolled back",
    acknowledge_jargon: bool = False,
    **draft_fields: Any,
) -> StatusUpdate:
    """Draft and publish an update for `audiences` as `by` (who must hold the right to publish).

    `summary` may name `{audience}`; `draft_fields` go to the draft (e.g. next_update_at).
    """
    update = create_draft(
        incident=incident,
        by=by,
        what_changed=what_changed,
        renditions={a: {"summary": summary.format(audience=a)} for a in audiences},
        **draft_fields,
    )
    return publish_update(update=update, by=by, acknowledge_jargon=acknowledge_jargon)


def publish_renditions(
    incident: Incident,
    commander: User,
    comms_lead: User,
    *,
    regulator_liaison: User | None = None,
    **renditions: dict[str, str],
) -> StatusUpdate:
    """Publish an update with the given renditions, taking every step the rules ask for.

    Assigns the comms lead (and regulator liaison) if missing; a regulator rendition is
    signed off by the liaison and published by the comms lead (four eyes).
    """
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


def store_published(
    incident: Incident,
    number: int,
    at: datetime,
    *,
    what_changed: str = "Status",
    **renditions: tuple[str, str],
) -> StatusUpdate:
    """Store a published update as it stands after publish_update (the fast way, for many).

    `renditions` maps an audience to (summary, body). No log entry, no deliveries.
    """
    update = StatusUpdate.objects.create(
        incident=incident,
        number=number,
        status="published",
        what_changed=what_changed,
        published_at=at,
    )
    for audience, (summary, body) in renditions.items():
        Rendition.objects.create(update=update, audience=audience, summary=summary, body=body)
    return update


def draft_body(**renditions: dict[str, str]) -> dict[str, Any]:
    """The JSON body of an API draft (a technical rendition unless `renditions` are given)."""
    return {
        "what_changed": "Rolled the fraud model back to v41.",
        "uncertain": "Why the pipeline change passed its checks.",
        "current_impact": "About 1,200 customers declined in error.",
        "renditions": renditions
        or {"technical": {"summary": "v41 live; FP rate 1.8 %", "body": "Commit 9f3c2ab"}},
    }


def publish_via_api(client: APIClient, incident: dict[str, Any]) -> None:
    """Draft and publish the default API draft for the incident (JSON from declare_via_api)."""
    base = f"/api/v1/incidents/{incident['id']}/updates/"
    number = client.post(base, draft_body(), format="json").json()["number"]
    assert client.post(f"{base}{number}/publish/", {}, format="json").status_code == 200


# --- Glossary -------------------------------------------------------------------------------


def jargon_terms() -> None:
    """Two technical glossary terms with the variants the tests use."""
    create_term(
        by=None,
        name="p95",
        variants=["p95 latency", "p99"],
        technical_definition="95th percentile of response time",
        plain_definition="How long the slowest 1 in 20 requests takes.",
    )
    create_term(
        by=None,
        name="PSI",
        variants=["population stability index"],
        technical_definition="Population stability index",
        plain_definition="A measure of how much the incoming data has changed.",
    )
    create_term(
        by=None,
        name="False positive",
        variants=["false positives", "FP"],
        technical_definition="A legitimate case flagged by the model",
        plain_definition="A genuine customer wrongly treated as suspicious.",
    )


# --- Health metrics -------------------------------------------------------------------------


def add_points(
    model: MonitoredModel,
    metric: str,
    values: list[float],
    *,
    start: datetime,
    step: timedelta = timedelta(minutes=10),
    is_drill: bool = False,
) -> None:
    """Ingest `values` for `metric`, one every `step` from `start` (in the service's batch size)."""
    points = [PointIn(metric, start + i * step, v) for i, v in enumerate(values)]
    for i in range(0, len(points), 10_000):
        ingest_metric_points(model=model, points=points[i : i + 10_000], is_drill=is_drill)


# --- Public status page (publicstatus) -------------------------------------------------------


def announced_maintenance(
    commander: User,
    *models: MonitoredModel,
    name: str = "Database upgrade",
    hours_ahead: float = 24,
    hours_long: float = 2,
    body: str = "Scores may be slower for a few minutes.",
) -> Maintenance:
    """Schedule and announce a maintenance window on `models` starting `hours_ahead` from now."""
    start = timezone.now() + timedelta(hours=hours_ahead)
    maintenance = schedule_maintenance(
        by=commander,
        name=name,
        body=body,
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=hours_long),
        components=[m.slug for m in models],
    )
    announce_maintenance(maintenance, by=commander)
    return maintenance
