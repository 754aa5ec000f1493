"""What responders write to an incident's log: decision requests, decisions, notes, corrections.

Split from incidents.services (declaring, roles, severity, milestones), whose
row lock and responder check these share. Each service owns its transaction
and writes its entry inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from incidents import rights
from incidents.choices import FREE_ENTRY_KINDS, DecisionType, EntryKind, ReferenceKind
from incidents.decision_log.chain import append_entry
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident
from incidents.services import Actor, locked, require_responder
from kit.errors import Conflict, DomainError
from kit.text import required_text

# --- Decisions ------------------------------------------------------------------------


def request_decision(
    *,
    incident: Incident,
    by: Actor,
    decision_type: str,
    question: str,
    needed_by: datetime | None = None,
) -> DecisionLogEntry:
    """Log that a decision is needed; it stays open until a decision settles it."""
    require_responder(by, "request decisions")
    if decision_type not in DecisionType.values:
        raise DomainError(f"Unknown decision type {decision_type!r}.", field="decision_type")
    question = required_text(question, "question")
    with transaction.atomic():
        return append_entry(
            incident=incident,
            kind=EntryKind.DECISION_REQUEST,
            actor=by,
            summary=f"Decision needed ({DecisionType(decision_type).label.lower()}): {question}",
            data={
                "decision_type": decision_type,
                "question": question,
                "needed_by": needed_by.isoformat() if needed_by else None,
            },
        )


def record_decision(
    *,
    incident: Incident,
    by: AbstractBaseUser,
    decision_type: str,
    decision: str,
    rationale: str,
    options_considered: Iterable[str] = (),
    reversible: bool = True,
    approved_by: AbstractBaseUser | None = None,
    settles: DecisionLogEntry | None = None,
) -> DecisionLogEntry:
    """Log a decision taken under a decision right the actor holds.

    Refused (DecisionRightDenied) when none of the actor's incident roles
    carries the right; when the playbook requires an approval, `approved_by`
    must hold the approving role.
    """
    decision = required_text(decision, "decision")
    rationale = required_text(rationale, "rationale")
    options = [str(o).strip() for o in options_considered if str(o).strip()]
    with transaction.atomic():
        incident = locked(incident)
        if not incident.is_open:
            raise Conflict(f"{incident.reference} is closed; record a note instead.")
        role = rights.check_decision_right(incident=incident, user=by, decision_type=decision_type)
        rights.check_approval(
            incident=incident, decision_type=decision_type, approved_by=approved_by
        )
        if settles is not None and (
            settles.incident_id != incident.pk or settles.kind != EntryKind.DECISION_REQUEST
        ):
            raise DomainError(
                "settles must name a decision request of this incident.", field="settles"
            )
        return append_entry(
            incident=incident,
            kind=EntryKind.DECISION,
            actor=by,
            actor_role=role,
            summary=decision,
            data={
                "decision_type": decision_type,
                "decision": decision,
                "options_considered": options,
                "rationale": rationale,
                "decision_right": decision_type,
                "role": role,
                "reversible": bool(reversible),
                "approved_by": approved_by.get_username() if approved_by else None,
                "settles": settles.sequence if settles else None,
            },
        )


# --- Notes, actions, references, corrections ----------------------------------------------


def add_entry(
    *, incident: Incident, by: Actor, kind: str, text: str, data: dict[str, Any] | None = None
) -> DecisionLogEntry:
    """Append a note, action or reference."""
    require_responder(by, "write to the log")
    if kind not in FREE_ENTRY_KINDS:
        allowed = ", ".join(FREE_ENTRY_KINDS)
        raise DomainError(
            f"kind must be one of {allowed}; other entries come from their own actions.",
            field="kind",
        )
    text = required_text(text, "text")
    data = dict(data or {})
    if kind == EntryKind.REFERENCE:
        ref_kind = data.get("ref_kind")
        if ref_kind not in ReferenceKind.values:
            raise DomainError(
                f"ref_kind must be one of {', '.join(ReferenceKind.values)}.", field="ref_kind"
            )
        required_text(str(data.get("ref", "")), "ref", max_length=500)
    # One statement on PostgreSQL, its own transaction on SQLite: no outer one needed.
    return append_entry(incident=incident, kind=kind, actor=by, summary=text, data=data)


def add_note(*, incident: Incident, by: Actor, text: str) -> DecisionLogEntry:
    return add_entry(incident=incident, by=by, kind=EntryKind.NOTE, text=text)


def add_reference(
    *, incident: Incident, by: Actor, ref_kind: str, ref: str, text: str = ""
) -> DecisionLogEntry:
    """Log a commit SHA, ticket id or link, e.g. the rollback's commit."""
    return add_entry(
        incident=incident,
        by=by,
        kind=EntryKind.REFERENCE,
        text=text or f"{ref_kind}: {ref}",
        data={"ref_kind": ref_kind, "ref": ref},
    )


def correct_entry(
    *, incident: Incident, entry: DecisionLogEntry, by: Actor, text: str
) -> DecisionLogEntry:
    """Append a correction naming `entry`; the original stays as it was."""
    require_responder(by, "correct the log")
    text = required_text(text, "text")
    if entry.incident_id != incident.pk:
        raise DomainError("The corrected entry belongs to another incident.", field="corrects")
    with transaction.atomic():
        return append_entry(
            incident=incident,
            kind=EntryKind.CORRECTION,
            actor=by,
            summary=text,
            corrects=entry,
            data={"corrects_sequence": entry.sequence},
        )
