"""What the backup tests share: an incident with a full log, and editing export files."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.management import call_command

from incidents.choices import Audience, Role
from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint, entry_hash
from incidents.decisions import add_note, correct_entry
from incidents.models import Incident, RoleAssignment
from incidents.services import assign_role
from tests.builders import declare, publish, resolve


def build_incident(commander, responder, model, *, title: str = "FP surge") -> Incident:
    """Declare, staff, note, correct, publish and resolve: every kind of row an export carries."""
    incident = declare(commander, model, title=title)
    assign_role(incident=incident, role=Role.SCRIBE, user=responder, by=commander)
    note = add_note(incident=incident, by=responder, text="Rolled back to v41")
    correct_entry(incident=incident, entry=note, by=commander, text="Rolled back to v40, not v41")
    publish(incident, commander, Audience.TECHNICAL, what_changed="Rolled back")
    return resolve(incident, commander)


def export(*args: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command("export_incidents", *args, stdout=out)
    return [json.loads(text) for text in out.getvalue().splitlines()]


def dump(objects: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(obj) + "\n" for obj in objects)


def counts() -> dict[str, int]:
    from django.contrib.auth.models import User

    from comms.models import StatusUpdate

    return {
        model.__name__: model.objects.count()
        for model in (Incident, DecisionLogEntry, LogCheckpoint, RoleAssignment, StatusUpdate, User)
    }


def rewrite_from(objects: list[dict[str, Any]], index: int, summary: str) -> None:
    """Alter the entry at `index` and recompute every hash after it, as a careful forger would."""
    renamed: dict[str, str] = {}
    prev = objects[index]["prev_hash"]
    objects[index]["content"]["summary"] = summary
    for obj in objects[index:]:
        if obj["type"] == "entry":
            obj["prev_hash"] = prev
            new = entry_hash(prev, obj["content"])
            renamed[obj["hash"]], obj["hash"], prev = new, new, new
            if obj["corrects_hash"] in renamed:
                obj["corrects_hash"] = renamed[obj["corrects_hash"]]
        elif obj["type"] == "update" and obj["log_hash"] in renamed:
            obj["log_hash"] = renamed[obj["log_hash"]]


def top_ids() -> dict[str, int]:
    from django.contrib.auth.models import User
    from django.db.models import Max

    return {m.__name__: m.objects.aggregate(top=Max("pk"))["top"] or 0 for m in (Incident, User)}


def burn_ids(beyond: dict[str, int] | None = None) -> None:
    """Move the incident and user id counters past `beyond` (and the ids in use), so rows made next get others.

    One statement per table, not a row per id: after a long test run the counters
    stand in the tens of thousands.
    """
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    for model, make in (
        (Incident, lambda: Incident(title="x", severity=4, detected_at=now, declared_at=now)),
        (User, lambda: User(username="burnt")),
    ):
        top = max((beyond or {}).get(model.__name__, 0), top_ids()[model.__name__])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [model._meta.db_table, top + 1],
                )
        else:  # SQLite's AUTOINCREMENT never hands out an id below the highest ever used
            row = make()
            row.pk = top + 1
            row.save(force_insert=True)
            model.objects.filter(pk=row.pk).delete()
