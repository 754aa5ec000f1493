"""Write incidents and their decision logs as JSON Lines, one object per line.

The file is a header line, then for each incident (in id order) its incident
line, its log entries (in sequence order), its checkpoints, roles,
milestones and published updates, then an `end` line that counts what came
before it (so a truncated file is refused on import). Queries are chunked
iterators: memory stays flat however long the logs are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from comms.models import StatusUpdate
from console.backup import FORMAT, VERSION
from incidents.decision_log.models import (
    DecisionLogEntry,
    LogCheckpoint,
    canonical_json,
    stamp,
)
from incidents.decision_log.signing import public_key_text, trusted_public_keys
from incidents.models import Incident, Milestone, RoleAssignment

CHUNK = 500
INCIDENT_FIELDS = (
    "title",
    "severity",
    "phase",
    "scope",
    "summary",
    "customers_affected",
    "revenue_at_risk_per_hour",
    "regulatory_exposure",
    "regulatory_notes",
    "customer_experience",
    "is_drill",
    "clock_factor",
    "suppress_external",
    "source",
    "dedup_key",
    "detected_at",
    "declared_at",
    "resolved_at",
    "created_at",
    "updated_at",
)
UPDATE_FIELDS = (
    "number",
    "what_changed",
    "uncertain",
    "decisions_pending",
    "actions_in_progress",
    "current_impact",
    "next_update_at",
    "published_at",
)
USER_FIELDS = ("username", "email", "first_name", "last_name")


def line(obj: dict[str, Any]) -> str:
    return canonical_json(obj) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return stamp(value)
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)  # Decimal
    return value


def _user(user: User | None) -> dict[str, str] | None:
    return {name: getattr(user, name) for name in USER_FIELDS} if user else None


def export_lines(incident_ids: list[int] | None = None) -> Iterator[str]:
    """Yield the lines of an export of these incidents (all when None), from one snapshot.

    Every query reads the same snapshot (one read-only REPEATABLE READ transaction on
    PostgreSQL, which blocks no writer): an entry or checkpoint appended while the
    export runs is either wholly in it or not at all, so the file always verifies.
    On SQLite (the demo) the transaction takes the write lock (settings: IMMEDIATE),
    so writers wait for the export. Consume the iterator in the thread that started it.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield from _snapshot_lines(incident_ids)


def _snapshot_lines(incident_ids: list[int] | None) -> Iterator[str]:
    incidents: QuerySet[Incident] = Incident.objects.select_related("created_by").order_by("pk")
    if incident_ids is not None:
        incidents = incidents.filter(pk__in=incident_ids)
    yield line(
        {
            "type": "header",
            "format": FORMAT,
            "version": VERSION,
            "site_url": settings.SITE_URL,
            "exported_at": stamp(timezone.now()),
            "public_keys": {
                key_id: public_key_text(key)
                for key_id, key in sorted(trusted_public_keys().items())
            },
        }
    )
    counts = {"incidents": 0, "lines": 1}
    for incident in incidents.iterator(chunk_size=CHUNK):
        counts["incidents"] += 1
        for text in _incident_lines(incident):
            counts["lines"] += 1
            yield text
    yield line({"type": "end", **counts})


def _incident_lines(incident: Incident) -> Iterator[str]:
    ref = incident.reference
    yield line(
        {
            "type": "incident",
            "ref": ref,
            **{name: _plain(getattr(incident, name)) for name in INCIDENT_FIELDS},
            "created_by": _user(incident.created_by),
            "affected": [
                {
                    "version": link.version,
                    "model": {
                        name: getattr(link.model, name)
                        for name in ("slug", "name", "team", "business_function", "risk_tier")
                    },
                }
                for link in incident.affected_links.select_related("model").order_by("pk")
            ],
        }
    )
    entries = (
        DecisionLogEntry.objects.filter(incident=incident)
        .select_related("actor", "corrects")
        .order_by("sequence")
    )
    for entry in entries.iterator(chunk_size=CHUNK):
        log_id = entry.origin["id"] if entry.origin is not None else entry.pk
        yield line(
            {
                "type": "entry",
                "ref": ref,
                "id": log_id,
                "content": entry.canonical(),
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
                "actor": _user(entry.actor),
                "corrects_hash": entry.corrects.hash if entry.corrects else None,
            }
        )
    checkpoints = LogCheckpoint.objects.filter(incident=incident).order_by("sequence", "pk")
    for checkpoint in checkpoints.iterator(chunk_size=CHUNK):
        yield line(
            {
                "type": "checkpoint",
                "ref": ref,
                "incident": checkpoint.log_incident_id,
                "sequence": checkpoint.sequence,
                "head_hash": checkpoint.head_hash,
                "signed_at": stamp(checkpoint.signed_at),
                "key_id": checkpoint.key_id,
                "signature": checkpoint.signature,
            }
        )
    roles = RoleAssignment.objects.filter(incident=incident).select_related("user", "assigned_by")
    for role in roles.order_by("started_at", "pk").iterator(chunk_size=CHUNK):
        yield line(
            {
                "type": "role",
                "ref": ref,
                "role": role.role,
                "user": _user(role.user),
                "assigned_by": _user(role.assigned_by),
                "started_at": stamp(role.started_at),
                "ended_at": stamp(role.ended_at),
                "note": role.note,
            }
        )
    for milestone in incident.milestones.select_related("recorded_by").order_by("reached_at", "pk"):
        yield line(_milestone(ref, milestone))
    yield from _update_lines(incident)


def _milestone(ref: str, milestone: Milestone) -> dict[str, Any]:
    return {
        "type": "milestone",
        "ref": ref,
        "phase": milestone.phase,
        "reached_at": stamp(milestone.reached_at),
        "indicator": milestone.indicator,
        "recorded_by": _user(milestone.recorded_by),
    }


def _update_lines(incident: Incident) -> Iterator[str]:
    """Published updates only: drafts are work in progress on the source."""
    updates = (
        StatusUpdate.objects.filter(incident=incident, status=StatusUpdate.Status.PUBLISHED)
        .select_related("author", "published_by", "jargon_acknowledged_by", "corrects", "log_entry")
        .prefetch_related("renditions__signed_off_by")
        .order_by("number")
    )
    for update in updates.iterator(chunk_size=CHUNK):
        yield line(
            {
                "type": "update",
                "ref": incident.reference,
                **{name: _plain(getattr(update, name)) for name in UPDATE_FIELDS},
                "corrects": update.corrects.number if update.corrects else None,
                "log_hash": update.log_entry.hash if update.log_entry else None,
                "author": _user(update.author),
                "published_by": _user(update.published_by),
                "jargon_acknowledged_by": _user(update.jargon_acknowledged_by),
                "renditions": [
                    {
                        "audience": r.audience,
                        "summary": r.summary,
                        "body": r.body,
                        "signed_off_by": _user(r.signed_off_by),
                        "signed_off_at": stamp(r.signed_off_at),
                    }
                    for r in sorted(update.renditions.all(), key=lambda r: r.audience)
                ],
            }
        )
