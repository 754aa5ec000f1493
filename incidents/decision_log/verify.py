"""Recompute an incident's decision-log chain and name the first broken link."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from incidents.decision_log.models import GENESIS_HASH, DecisionLogEntry


@dataclass
class ChainReport:
    """What verification found. `status` is one of STATUSES.

    verify_chain() fills in the chain's own consistency (intact or broken);
    incidents.decision_log.checkpoints.verify_log() adds what the signed checkpoints say.
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
