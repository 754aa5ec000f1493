"""Append to and verify the hash-chained decision log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from incidents.models import GENESIS_HASH, DecisionLogEntry, Incident


def actor_label_for(actor: AbstractBaseUser | None, fallback: str = "system") -> str:
    if actor is None:
        return fallback
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return f"{full} ({actor.get_username()})" if full else actor.get_username()


def append_entry(
    *,
    incident: Incident,
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
        Incident.objects.select_for_update().only("id").get(pk=incident.pk)
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
            actor=actor,
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


@dataclass
class ChainReport:
    """What verification found. `status` is one of STATUSES.

    verify_chain() fills in the chain's own consistency (intact or broken);
    incidents.checkpoints.verify_log() adds what the signed checkpoints say.
    """

    incident_id: int
    valid: bool = True
    entries: int = 0
    first_broken: dict[str, Any] | None = None
    head: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)
    status: str = "unsigned"
    detail: str = ""
    checkpoint: dict[str, Any] | None = None
    # Stored hash of every entry by sequence: what checkpoints are compared with.
    hashes: dict[int, str] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident_id,
            "valid": self.valid,
            "status": self.status,
            "detail": self.detail,
            "entries": self.entries,
            "first_broken": self.first_broken,
            "head": self.head,
            "checkpoint": self.checkpoint,
        }


def verify_chain(incident_id: int) -> ChainReport:
    """Recompute an incident's chain and report the first broken link.

    1. Walk the entries in sequence order; positions must be 1, 2, 3 … with
       no gap (a gap means an entry was removed).
    2. Each entry's prev_hash must equal the previous entry's stored hash.
    3. Each stored hash must equal sha256(prev_hash + canonical JSON).
    The first entry failing any check is reported; verification stops there.
    """
    report = ChainReport(incident_id=incident_id)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for entry in (
        DecisionLogEntry.objects.filter(incident_id=incident_id).order_by("sequence").iterator()
    ):
        report.entries += 1
        reason = None
        if entry.sequence != expected_seq:
            reason = (
                f"expected sequence {expected_seq}, found {entry.sequence} (an entry is missing)"
            )
        elif entry.prev_hash != expected_prev:
            reason = "prev_hash does not match the hash of the entry before it"
        elif entry.hash != entry.compute_hash():
            reason = "content does not match its hash (the entry was altered)"
        if reason and report.valid:
            report.valid = False
            report.status = "broken"
            report.first_broken = {"sequence": entry.sequence, "id": entry.pk, "reason": reason}
            report.detail = f"chain broken at entry #{entry.sequence}: {reason}"
        report.hashes[entry.sequence] = entry.hash
        expected_prev = entry.hash
        expected_seq = entry.sequence + 1
    report.head = expected_prev
    return report
