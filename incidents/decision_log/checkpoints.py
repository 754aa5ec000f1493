"""Signed checkpoints of decision-log heads, and verification against them.

The hash chain proves a log is internally consistent, but anyone who can
write to the database can recompute every hash after a rewrite. A checkpoint
signs "entry #n had hash h" with a key that is not in the database, so such
a rewrite is detected up to the last checkpoint. Beat signs heads that moved
(checkpoint_logs); every phase change signs at once (checkpoint_after_phase_change).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint, incident_model
from incidents.decision_log.signing import (
    Signer,
    configured_signer,
    signature_is_valid,
    trusted_public_keys,
)
from incidents.decision_log.verify import ChainReport, verify_chain

log = logging.getLogger(__name__)

INTACT = "intact"  # consistent, and every checkpoint matches
UNSIGNED = "unsigned"  # consistent, but no checkpoint to check it against (or no key)
BROKEN = "broken"  # a link of the chain itself is broken
REWRITTEN = "rewritten"  # consistent, but not the chain that was signed
BAD_SIGNATURE = "bad_signature"  # a checkpoint is forged or signed by an untrusted key
STATUSES = (INTACT, UNSIGNED, BROKEN, REWRITTEN, BAD_SIGNATURE)

Keys = dict[str, Ed25519PublicKey]


# --- Signing --------------------------------------------------------------------------


def checkpoint_incident(
    *, incident_id: int, signer: Signer, keys: Keys | None = None
) -> LogCheckpoint | None:
    """Sign the incident's current head, unless this key signed it already.

    1. Lock the incident row: appends wait, and two signers queue.
    2. Read the head; an empty log, or a head this key signed, needs nothing.
    3. Verify the chain against the earlier checkpoints: signing a broken or
       rewritten chain would bless the tampering, so refuse (and say so).
    4. Sign incident, sequence, head hash, time and key id; insert.
    """
    keys = {**(keys or {}), signer.key_id: signer.public_key}
    with transaction.atomic():
        incident_model()._default_manager.select_for_update().only("id").get(pk=incident_id)
        head = (
            DecisionLogEntry.objects.filter(incident_id=incident_id)
            .order_by("-sequence")
            .values_list("sequence", "hash")
            .first()
        )
        if head is None:
            return None
        signed = LogCheckpoint.objects.filter(incident_id=incident_id, key_id=signer.key_id)
        if signed.filter(sequence__gte=head[0]).exists():
            return None
        report = verify_log(incident_id, keys=keys)
        if report.status not in (INTACT, UNSIGNED):
            log.error("Not signing the decision log of incident %s: %s", incident_id, report.detail)
            return None
        checkpoint = LogCheckpoint(
            incident_id=incident_id,
            sequence=head[0],
            head_hash=head[1],
            signed_at=timezone.now(),
            key_id=signer.key_id,
        )
        checkpoint.signature = signer.sign(checkpoint.signed_message())
        checkpoint.save(force_insert=True)
    return checkpoint


def incidents_with_unsigned_heads(key_id: str) -> list[int]:
    """Return the incidents whose last entry is past the last checkpoint of `key_id`."""
    last_signed = (
        LogCheckpoint.objects.filter(incident=OuterRef("pk"), key_id=key_id)
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    return list(
        incident_model()
        ._default_manager.annotate(head=Max("log_entries__sequence"), signed=Subquery(last_signed))
        .filter(head__isnull=False)
        .filter(Q(signed__isnull=True) | Q(head__gt=F("signed")))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def checkpoint_logs() -> list[LogCheckpoint]:
    """Sign every head that moved since its last checkpoint; nothing without a key.

    Idempotent: a second run finds no moved head. A misconfigured key raises
    SigningKeyError, so the beat task fails loudly in the worker log.
    """
    signer = configured_signer()
    if signer is None:
        return []
    keys = trusted_public_keys()
    signed = []
    for incident_id in incidents_with_unsigned_heads(signer.key_id):
        checkpoint = checkpoint_incident(incident_id=incident_id, signer=signer, keys=keys)
        if checkpoint is not None:
            signed.append(checkpoint)
    return signed


def checkpoint_after_phase_change(incident_id: int) -> None:
    """Sign the head right after a phase change commits (a transaction.on_commit hook).

    The change itself has committed: a signing failure is logged, not raised
    into the request, and the next beat run signs the head instead.
    """
    try:
        signer = configured_signer()
        if signer is not None:
            checkpoint_incident(incident_id=incident_id, signer=signer, keys=trusted_public_keys())
    except Exception:
        log.exception(
            "Could not sign the decision log of incident %s after a phase change", incident_id
        )


# --- Verifying ------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _summary(checkpoint: LogCheckpoint, number: int, valid: bool) -> dict:
    return {
        "number": number,
        "sequence": checkpoint.sequence,
        "signed_at": checkpoint.signed_at,
        "key_id": checkpoint.key_id,
        "valid": valid,
    }


def _fail(report: ChainReport, status: str, message: str, checkpoint: dict) -> ChainReport:
    """Record a checkpoint problem; a broken link, found first, keeps its status."""
    report.valid = False
    report.checkpoint = checkpoint
    if report.status == BROKEN:
        report.detail = f"{report.detail}; {message}"
    else:
        report.status, report.detail = status, message
    return report


def _unsigned(report: ChainReport, count: int, keys: Keys) -> ChainReport:
    if report.valid:
        report.status = UNSIGNED
        report.detail = (
            f"{count} checkpoint(s) not checked: no log signing key or trusted public key is configured"
            if count and not keys
            else "no signed checkpoint yet: the chain is only internally consistent"
        )
    return report


def verify_log(incident_id: int, *, keys: Keys | None = None) -> ChainReport:
    """Verify an incident's chain, then check it against its signed checkpoints.

    1. Recompute the chain (verify_chain): broken links come first.
    2. Walk the checkpoints oldest first. Each signature must verify with a
       trusted key (never a key from the database), and the entry at the
       checkpoint's position must still have exactly the signed hash.
    3. A signature that fails is "bad_signature"; a hash that differs in a
       chain that is otherwise consistent is "rewritten": someone recomputed
       the chain after that checkpoint was signed.
    4. All match: "intact", naming the latest checkpoint the chain matches.
    """
    report = verify_chain(incident_id)
    keys = trusted_public_keys() if keys is None else keys
    checkpoints = list(
        LogCheckpoint.objects.filter(incident_id=incident_id).order_by(
            "sequence", "signed_at", "pk"
        )
    )
    if not checkpoints or not keys:
        return _unsigned(report, len(checkpoints), keys)
    matched: dict = {}
    for number, checkpoint in enumerate(checkpoints, 1):
        where = f"checkpoint {number} (entry #{checkpoint.sequence}) signed at {_stamp(checkpoint.signed_at)}"
        key = keys.get(checkpoint.key_id)
        if key is None or not signature_is_valid(
            key, checkpoint.signature, checkpoint.signed_message()
        ):
            why = (
                f"signed by untrusted key {checkpoint.key_id}"
                if key is None
                else "its signature does not verify"
            )
            return _fail(
                report, BAD_SIGNATURE, f"{where}: {why}", _summary(checkpoint, number, False)
            )
        if report.hashes.get(checkpoint.sequence) != checkpoint.head_hash:
            return _fail(
                report,
                REWRITTEN,
                f"rewritten before {where}: the chain up to entry #{checkpoint.sequence} "
                "is not the one that was signed",
                _summary(checkpoint, number, False),
            )
        matched = _summary(checkpoint, number, True)
    report.checkpoint = matched
    if report.valid:
        later = report.entries - checkpoints[-1].sequence
        report.status = INTACT
        report.detail = f"matches checkpoint {matched['number']} (entry #{matched['sequence']})" + (
            f"; {later} later entries not signed yet" if later > 0 else ""
        )
    return report
