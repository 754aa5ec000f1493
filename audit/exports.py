"""Streamed exports of the audit trail (CSV and JSON lines), admins only."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime

from audit.models import Action, AuditEvent

COLUMNS = [
    "id",
    "at",
    "action",
    "actor_id",
    "actor_label",
    "client_address",
    "object_type",
    "object_id",
    "object_repr",
    "details",
]


def _moment(field: str, raw: str) -> datetime:
    value = parse_datetime(raw)
    if value is None:
        raise ValidationError({field: ["Not an ISO 8601 date-time."]})
    return value


def filtered(params: Any) -> QuerySet[AuditEvent]:
    """The admin's filters, by query parameter: action, actor, since, until. Bad values raise."""
    events = AuditEvent.objects.order_by("at", "id")
    if action := params.get("action"):
        if action not in Action.values:
            raise ValidationError({"action": [f"Unknown action {action!r}."]})
        events = events.filter(action=action)
    if actor := params.get("actor"):
        events = events.filter(actor_label=actor)
    if since := params.get("since"):
        events = events.filter(at__gte=_moment("since", since))
    if until := params.get("until"):
        events = events.filter(at__lt=_moment("until", until))
    return events


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "at": event.at.isoformat(),
        "action": event.action,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "client_address": event.client_address,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "details": event.details,
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for event in events.iterator(chunk_size=500):
        row = _row(event)
        row["details"] = json.dumps(row["details"], sort_keys=True)
        # A leading =, +, - or @ (or a tab or CR before one) runs as a formula in a spreadsheet.
        yield writer.writerow([_defuse(row[c]) for c in COLUMNS])


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def json_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    for event in events.iterator(chunk_size=500):
        yield json.dumps(_row(event), sort_keys=True) + "\n"
