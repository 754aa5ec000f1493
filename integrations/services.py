"""Alert intake: a group of alerts opens, updates or recovers one incident.

Machine calls pass `by=None` (no user permission checks) and go through
comms.workflows so cadence deadlines open and re-plan as for a human.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from comms import workflows
from incidents.choices import OPEN_PHASES, EntryKind, Phase, Source
from incidents.decision_log.chain import append_entry
from incidents.models import Incident, MonitoredModel
from integrations.models import AlertEvidence, IntegrationKey
from kit.errors import Conflict

DEFAULT_SEVERITY = 3
SEVERITY_TABLE = {
    "critical": 1,
    "page": 1,
    "high": 2,
    "error": 2,
    "warning": 3,
    "info": 4,
    "low": 4,
}
RAW_LIMIT = 16 * 1024  # bytes of one alert kept verbatim as evidence


@dataclass
class AlertIn:
    """One alert as any sender reported it."""

    status: str  # firing | resolved (PagerDuty: trigger | acknowledge | resolve)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    fingerprint: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class IngestResult:
    incident: Incident | None
    opened: bool = False


def severity_for(key: IntegrationKey, labels: dict[str, str]) -> int:
    """Map an alert's `severity` label through the key's table, then the default one."""
    label = str(labels.get("severity", "")).strip().lower()
    table = SEVERITY_TABLE | {str(k).lower(): v for k, v in (key.severity_map or {}).items()}
    value = table.get(label, DEFAULT_SEVERITY)
    try:
        value = int(value)
    except (TypeError, ValueError):
        return DEFAULT_SEVERITY
    return value if 1 <= value <= 4 else DEFAULT_SEVERITY


def model_for(key: IntegrationKey, alerts: list[AlertIn]) -> MonitoredModel | None:
    """Find the monitored model from a `model` label (a slug or a key mapping), else the key's default."""
    for alert in alerts:
        label = str(alert.labels.get("model", "")).strip()
        if not label:
            continue
        slug = (key.model_map or {}).get(label, label)
        model = MonitoredModel.objects.filter(slug=slug).first()
        if model is not None:
            return model
    return key.default_model


def dedup_key_for(source: str, group_key: str) -> str:
    full = f"{source}:{group_key}"
    if len(full) <= 255:
        return full
    return f"{source}:sha256:{hashlib.sha256(group_key.encode()).hexdigest()}"


def open_incident_for(dedup_key: str) -> Incident | None:
    return Incident.objects.filter(
        source=Source.ALERT, dedup_key=dedup_key, phase__in=OPEN_PHASES
    ).first()


def ingest_alert_group(
    *,
    key: IntegrationKey,
    source: str,
    group_key: str,
    status: str,
    alerts: list[AlertIn],
    summary: str,
    title: str = "",
    note: str = "",
    route_labels: dict[str, str] | None = None,
) -> IngestResult:
    """Open, update or recover the incident of one alert group.

    1. Firing: open an incident for the group, or (if one is open) add the
       evidence, log it and raise the severity if a more severe alert came.
       Two deliveries racing to open the same group meet the unique
       constraint; the loser updates the winner's incident.
    2. Resolved: log the resolution on the open incident and, if the key
       says so, reach "recovered".

    `route_labels` (sent by some Alertmanager-compatible senders) are kept
    on the log entry; grouping stays by `group_key`, which already names the
    route and the group's labels (every group of a route shares its route
    labels, so they cannot tell two groups apart).
    """
    dedup_key = dedup_key_for(source, group_key)
    if status == "resolved":
        return _resolve(
            key=key,
            source=source,
            group_key=group_key,
            dedup_key=dedup_key,
            alerts=alerts,
            note=note,
            route_labels=route_labels,
        )
    firing = [a for a in alerts if a.status != "resolved"] or alerts
    severity = min((severity_for(key, a.labels) for a in firing), default=DEFAULT_SEVERITY)
    incident = open_incident_for(dedup_key)
    if incident is None:
        try:
            with transaction.atomic():
                incident = _open(
                    key=key,
                    source=source,
                    group_key=group_key,
                    dedup_key=dedup_key,
                    alerts=alerts,
                    summary=summary,
                    title=title,
                    severity=severity,
                    note=note,
                    route_labels=route_labels,
                )
            return IngestResult(incident, opened=True)
        except (Conflict, IntegrityError):
            incident = open_incident_for(dedup_key)
            if incident is None:
                raise
    with transaction.atomic():
        _record(
            key=key,
            source=source,
            group_key=group_key,
            incident=incident,
            alerts=alerts,
            summary=note or f"{len(alerts)} alert(s) {status} again: {summary}"[:300],
            route_labels=route_labels,
        )
        if severity < incident.severity:
            incident = workflows.change_severity(
                incident=incident,
                severity=severity,
                by=None,
                reason=f"{source}: a more severe alert arrived in group {group_key[:80]}",
            )
    return IngestResult(incident)


def _open(
    *,
    key: IntegrationKey,
    source: str,
    group_key: str,
    dedup_key: str,
    alerts: list[AlertIn],
    summary: str,
    title: str,
    severity: int,
    note: str = "",
    route_labels: dict[str, str] | None = None,
) -> Incident:
    model = model_for(key, alerts)
    starts = [a.starts_at for a in alerts if a.starts_at is not None]
    now = timezone.now()
    detected_at = min([s for s in starts if s <= now], default=None)
    incident = workflows.declare_incident(
        by=None,
        title=(title or summary or f"Alert group {group_key}")[:200],
        severity=severity,
        summary=summary,
        models=[(model, "")] if model else [],
        source=Source.ALERT,
        dedup_key=dedup_key,
        actor_label=key.name,
        detected_at=detected_at,
        detection_indicator=f"{source}: {summary or group_key}"[:300],
    )
    _record(
        key=key,
        source=source,
        group_key=group_key,
        incident=incident,
        alerts=alerts,
        summary=note or f"{len(alerts)} alert(s) firing: {summary}"[:300],
        route_labels=route_labels,
    )
    return incident


def _resolve(
    *,
    key: IntegrationKey,
    source: str,
    group_key: str,
    dedup_key: str,
    alerts: list[AlertIn],
    note: str,
    route_labels: dict[str, str] | None = None,
) -> IngestResult:
    incident = open_incident_for(dedup_key)
    if incident is None:
        return IngestResult(None)  # nothing open for this group: nothing to resolve
    with transaction.atomic():
        _record(
            key=key,
            source=source,
            group_key=group_key,
            incident=incident,
            alerts=alerts,
            summary=note or f"All alerts of group {group_key[:80]} resolved",
            route_labels=route_labels,
        )
        if key.resolve_reaches_recovered and Phase.order(incident.phase) < Phase.order(
            Phase.RECOVERED
        ):
            workflows.reach_milestone(
                incident=incident,
                phase=Phase.RECOVERED,
                by=None,
                indicator=f"{source.capitalize()}: all alerts of group {group_key[:120]} resolved"[
                    :300
                ],
            )
    incident.refresh_from_db()
    return IngestResult(incident)


def _bounded(raw: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(raw, default=str)
    return raw if len(text) <= RAW_LIMIT else {"truncated": True, "head": text[:RAW_LIMIT]}


def _record(
    *,
    key: IntegrationKey,
    source: str,
    group_key: str,
    incident: Incident,
    alerts: list[AlertIn],
    summary: str,
    route_labels: dict[str, str] | None = None,
) -> None:
    """Keep every alert as evidence and log one "alert" entry for the delivery."""
    now = timezone.now()
    AlertEvidence.objects.bulk_create(
        AlertEvidence(
            incident=incident,
            key=key,
            source=source,
            group_key=group_key[:500],
            fingerprint=a.fingerprint[:200],
            status=a.status[:16],
            labels=a.labels,
            annotations=a.annotations,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            received_at=now,
            raw=_bounded(a.raw),
        )
        for a in alerts
    )
    append_entry(
        incident=incident,
        kind=EntryKind.ALERT,
        actor=None,
        actor_label=key.name,
        summary=summary,
        data={
            "source": source,
            "group_key": group_key,
            "alerts": [
                {
                    "status": a.status,
                    "fingerprint": a.fingerprint,
                    "labels": a.labels,
                    "starts_at": a.starts_at.isoformat() if a.starts_at else None,
                    "ends_at": a.ends_at.isoformat() if a.ends_at else None,
                }
                for a in alerts[:50]
            ],
        }
        | ({"route_labels": route_labels} if route_labels else {}),
    )


def log_acknowledgement(
    *, key: IntegrationKey, source: str, group_key: str, alerts: list[AlertIn]
) -> Incident | None:
    """Log an acknowledgement on the open incident of the group, if any."""
    incident = open_incident_for(dedup_key_for(source, group_key))
    if incident is not None:
        with transaction.atomic():
            _record(
                key=key,
                source=source,
                group_key=group_key,
                incident=incident,
                alerts=alerts,
                summary=f"Acknowledged in {source}",
            )
    return incident
