"""Append to the hash-chained decision log: the only way an entry is written."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from incidents.decision_log.models import GENESIS_HASH, DecisionLogEntry, incident_model
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
    """
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
