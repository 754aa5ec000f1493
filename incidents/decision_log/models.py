"""The decision log's rows: entries and the signed checkpoints of their chain heads.

incidents.models imports this module so Django registers both models under the
`incidents` app (same tables, same migrations). The foreign keys name the
incident as "incidents.Incident": importing incidents.models from here would
close an import cycle.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.choices import EntryKind

GENESIS_HASH = "0" * 64


def canonical_json(content: dict[str, Any]) -> str:
    """The text an entry's hash covers: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stamp(moment: datetime | None) -> str | None:
    """The form of a time in what the log hashes and signs: ISO 8601 in UTC, microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment else None


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """sha256(previous entry's hash + canonical JSON): the chain's one rule, also for offline checks."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode()).hexdigest()


class LogImmutable(Exception):
    """Raised on any attempt to change or remove a decision-log entry."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise LogImmutable("Decision log entries cannot be updated; append a correction instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LogImmutable("Decision log entries cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise LogImmutable("Decision log entries cannot be updated; append a correction instead.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list:
        raise LogImmutable(
            "Append entries one by one with incidents.decision_log.chain.append_entry()."
        )


class DecisionLogEntry(models.Model):
    """One immutable entry of an incident's hash-chained log.

    `hash` = sha256(previous entry's hash + canonical JSON of this entry).
    Entries are written only by incidents.decision_log.chain.append_entry(); the ORM, the
    admin, the API and database triggers refuse UPDATE and DELETE.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="log_entries"
    )
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=EntryKind)
    recorded_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Who or what wrote it, as shown then.")
    actor_role = models.CharField(max_length=32, blank=True)
    summary = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # An entry imported from another installation (manage.py import_incidents) keeps
    # the ids its hash covers there: {"site", "incident", "id", "actor_id", "corrects"}.
    # Its rows here have new ids; the hash still covers the original ones.
    origin = models.JSONField(null=True, blank=True, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "sequence"]
        verbose_name = "decision log entry"
        verbose_name_plural = "decision log entries"
        constraints = [
            models.UniqueConstraint(fields=["incident", "sequence"], name="one_entry_per_position"),
            # Corrections name an entry; nothing else does.
            models.CheckConstraint(
                condition=Q(kind="correction", corrects__isnull=False)
                | (~Q(kind="correction") & Q(corrects__isnull=True)),
                name="corrections_name_their_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}#{self.sequence} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LogImmutable(
                "Decision log entries cannot be updated; append a correction instead."
            )
        if self.hash != self.compute_hash():
            raise LogImmutable(
                "Entry hash does not match its content; use incidents.decision_log.chain.append_entry()."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LogImmutable("Decision log entries cannot be deleted.")

    def hashed_ids(self) -> dict[str, Any]:
        """Return the ids the hash covers: this installation's, or those of its origin."""
        if self.origin is not None:
            return {key: self.origin[key] for key in ("incident", "actor_id", "corrects")}
        return {
            "incident": self.incident_id,
            "actor_id": self.actor_id,
            "corrects": self.corrects_id,
        }

    def canonical(self) -> dict[str, Any]:
        """Return the content the hash covers, in JSON-ready form."""
        return {
            **self.hashed_ids(),
            "sequence": self.sequence,
            "kind": self.kind,
            "recorded_at": stamp(self.recorded_at),
            "actor_label": self.actor_label,
            "actor_role": self.actor_role,
            "summary": self.summary,
            "data": self.data,
        }

    def canonical_json(self) -> str:
        return canonical_json(self.canonical())

    def compute_hash(self) -> str:
        return entry_hash(self.prev_hash, self.canonical())


class CheckpointQuerySet(models.QuerySet):
    """Checkpoints are written once by incidents.decision_log.checkpoints and never changed."""

    def update(self, **kwargs: Any) -> int:
        raise LogImmutable("Log checkpoints cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise LogImmutable("Log checkpoints cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise LogImmutable("Log checkpoints cannot be updated.")


class LogCheckpoint(models.Model):
    """A signed statement: "entry #sequence of this incident's log had this hash".

    The Ed25519 private key that signs it lives outside the database
    (LOG_SIGNING_KEY_FILE), so someone who can write to the database can
    recompute a chain but cannot sign its new head. `key_id` names the public
    key (a fingerprint), never the key itself: verifiers trust only keys they
    are configured with. Append-only, like the log (database triggers too).
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="log_checkpoints"
    )
    sequence = models.PositiveIntegerField(
        help_text="Position of the log entry at the head when signed."
    )
    head_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=128, help_text="Ed25519 signature, base64.")
    # A checkpoint imported from another installation signed that installation's
    # incident id, which is what its signature covers.
    origin_incident = models.PositiveIntegerField(null=True, blank=True, editable=False)

    objects = CheckpointQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "sequence", "key_id"], name="one_checkpoint_per_head_and_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}@{self.sequence} {self.key_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LogImmutable("Log checkpoints cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise LogImmutable("Log checkpoints cannot be deleted.")

    @property
    def log_incident_id(self) -> int:
        """The incident id the signature covers (the origin's, for an imported checkpoint)."""
        return self.incident_id if self.origin_incident is None else self.origin_incident

    def signed_message(self) -> bytes:
        """Return the bytes the signature covers: every field but the signature."""
        return signed_checkpoint_message(
            incident_id=self.log_incident_id,
            sequence=self.sequence,
            head_hash=self.head_hash,
            signed_at=self.signed_at,
            key_id=self.key_id,
        )


def signed_checkpoint_message(
    *, incident_id: int, sequence: int, head_hash: str, signed_at: datetime, key_id: str
) -> bytes:
    """Return the canonical, versioned bytes a checkpoint signature covers."""
    return (
        f"icc-log-checkpoint:v1\n{incident_id}\n{sequence}\n{head_hash}\n{stamp(signed_at)}\n{key_id}"
    ).encode()


def incident_model() -> type[models.Model]:
    """Return the Incident model, which the log's entries belong to.

    Read through the foreign key, not imported: incidents.models imports this module.
    """
    return DecisionLogEntry._meta.get_field("incident").related_model
