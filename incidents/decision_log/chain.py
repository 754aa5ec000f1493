"""Append to the hash-chained decision log: the only way an entry is written."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from incidents.decision_log.models import (
    GENESIS_HASH,
    DecisionLogEntry,
    LogImmutable,
    incident_model,
)
from kit.users import account


def actor_label_for(actor: AbstractBaseUser | None, fallback: str = "system") -> str:
    if actor is None:
        return fallback
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return f"{full} ({actor.get_username()})" if full else actor.get_username()


def append_entry(
    *,
    incident: Model,
    kind: str,
    summary: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    actor_role: str = "",
    data: dict[str, Any] | None = None,
    corrects: DecisionLogEntry | None = None,
) -> DecisionLogEntry:
    """Append one entry to the incident's log and return it.

    1. Lock the incident row (SELECT … FOR UPDATE on PostgreSQL; SQLite
       serialises writers with BEGIN IMMEDIATE), so concurrent appends queue.
    2. Read the last entry: its sequence and hash are this entry's parents.
    3. Hash the previous hash plus the canonical JSON of the new entry.
    4. Insert. A unique (incident, sequence) constraint backs the lock: two
       entries can never claim the same position.
    Call it inside the caller's transaction so the entry commits or rolls
    back with the change it records.

    On PostgreSQL steps 1-4 run inside the server in one call
    (`append_sql.py`), so the lock is held for one round trip, not four.
    """
    if connection.vendor == "postgresql":
        return _append_in_server(
            incident_id=incident.pk,
            kind=kind,
            actor=account(actor),
            actor_label=actor_label or actor_label_for(actor),
            actor_role=actor_role,
            summary=summary,
            data=data or {},
            corrects=corrects,
        )
    with transaction.atomic():
        incident_model()._default_manager.select_for_update().only("id").get(pk=incident.pk)
        last = (
            DecisionLogEntry.objects.filter(incident_id=incident.pk)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        entry = DecisionLogEntry(
            incident_id=incident.pk,
            sequence=sequence,
            kind=kind,
            recorded_at=timezone.now(),
            actor=account(actor),
            actor_label=actor_label or actor_label_for(actor),
            actor_role=actor_role,
            summary=summary,
            data=data or {},
            corrects=corrects,
            prev_hash=prev_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save(force_insert=True)
    return entry


# Stand in for the two values only the lock fixes while the canonical JSON is split around them.
_TIME_SLOT = "\u0000time-slot"
_SEQUENCE_SLOT = 987_654_321_987_654_321


def _append_in_server(
    *,
    incident_id: int,
    kind: str,
    actor: Any,
    actor_label: str,
    actor_role: str,
    summary: str,
    data: dict[str, Any],
    corrects: DecisionLogEntry | None,
) -> DecisionLogEntry:
    """Append through `icc_append_log_entry` and check the hash it stored."""
    entry = DecisionLogEntry(
        incident_id=incident_id,
        kind=kind,
        actor=actor,
        actor_label=actor_label,
        actor_role=actor_role,
        summary=summary,
        data=data,
        corrects=corrects,
        recorded_at=timezone.now(),  # the server keeps it unless the head is later
        sequence=0,
    )
    canonical = entry.canonical() | {"recorded_at": _TIME_SLOT, "sequence": _SEQUENCE_SLOT}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    time_mark = '"recorded_at":' + json.dumps(_TIME_SLOT, ensure_ascii=False)
    before_time, _, rest = text.partition(time_mark)
    between, _, after = rest.partition(f'"sequence":{_SEQUENCE_SLOT}')
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM icc_append_log_entry(%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s)",
            [
                incident_id,
                kind,
                entry.actor_id,
                actor_label,
                actor_role,
                summary,
                json.dumps(data),
                entry.corrects_id,
                before_time + '"recorded_at":"',
                '"' + between + '"sequence":',
                after,
                entry.recorded_at,
            ],
        )
        row = cursor.fetchone()
    if row is None:  # the function returns the row it inserted, or raises
        raise LogImmutable("The decision log did not return the entry it appended.")
    entry.pk, entry.sequence, entry.recorded_at, entry.prev_hash, entry.hash = row
    entry._state.adding = False
    if entry.hash != entry.compute_hash():
        raise LogImmutable("The appended entry's hash does not match its content.")
    return entry
