"""The decision log over the API: entries out, one input shape per writable kind, the chain report.

Input serializers check shape and resolve log sequences to entries; the
services decide what may be appended.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import AwareDateTimeField, UsernameField
from incidents.choices import DecisionType, EntryKind, ReferenceKind
from incidents.decision_log.checkpoints import STATUSES
from incidents.decision_log.models import DecisionLogEntry


class LogEntrySerializer(serializers.ModelSerializer):
    """One log entry; expects `corrects` select_related."""

    corrects = serializers.IntegerField(source="corrects.sequence", allow_null=True, default=None)

    class Meta:
        model = DecisionLogEntry
        fields = [
            "sequence",
            "kind",
            "recorded_at",
            "actor_label",
            "actor_role",
            "summary",
            "data",
            "corrects",
            "prev_hash",
            "hash",
        ]


class LogSequenceField(serializers.IntegerField):
    """A log entry of the incident in the serializer context, named by sequence."""

    default_error_messages = {"missing": "No log entry {sequence} in this incident."}

    def to_internal_value(self, data: Any) -> DecisionLogEntry:  # type: ignore[override]  # resolves to the row, not the number
        # No min_value validator: validators would see the entry, not the number.
        sequence = super().to_internal_value(data)
        entry = None
        if 1 <= sequence <= 2_147_483_647:
            entry = DecisionLogEntry.objects.filter(
                incident=self.context["incident"], sequence=sequence
            ).first()
        if entry is None:
            self.fail("missing", sequence=sequence)
        return entry


WRITABLE_KINDS = [
    EntryKind.NOTE,
    EntryKind.ACTION,
    EntryKind.REFERENCE,
    EntryKind.DECISION,
    EntryKind.DECISION_REQUEST,
    EntryKind.CORRECTION,
]


class LogKindSerializer(serializers.Serializer):
    # The full vocabulary keeps one "kind" enum in the schema; other kinds
    # are written by the action they record (severity, roles, milestones).
    kind = serializers.ChoiceField(
        choices=EntryKind.choices, help_text=f"One of {', '.join(WRITABLE_KINDS)}."
    )

    def validate_kind(self, value: str) -> str:
        if value not in WRITABLE_KINDS:
            raise serializers.ValidationError(
                f"Append one of {', '.join(WRITABLE_KINDS)}; {value} entries come from their own endpoints."
            )
        return value


def _kinds(*kinds: EntryKind) -> serializers.ChoiceField:
    """The `kind` of one body shape: the schema's oneOf tells the shapes apart by it."""
    return serializers.ChoiceField(choices=[(k.value, k.label) for k in kinds])


class NoteInSerializer(LogKindSerializer):
    """A note or an action taken."""

    kind = _kinds(EntryKind.NOTE, EntryKind.ACTION)
    text = serializers.CharField()


class ReferenceInSerializer(LogKindSerializer):
    kind = _kinds(EntryKind.REFERENCE)
    ref_kind = serializers.ChoiceField(choices=ReferenceKind.choices)
    ref = serializers.CharField(max_length=500)
    text = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionInSerializer(LogKindSerializer):
    kind = _kinds(EntryKind.DECISION)
    decision_type = serializers.ChoiceField(choices=DecisionType.choices)
    decision = serializers.CharField()
    rationale = serializers.CharField()
    options_considered = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list, max_length=50
    )
    reversible = serializers.BooleanField(required=False, default=True)
    approved_by = UsernameField(required=False, allow_null=True, default=None)
    settles = LogSequenceField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Sequence of the decision request this settles.",
    )


class DecisionRequestInSerializer(LogKindSerializer):
    kind = _kinds(EntryKind.DECISION_REQUEST)
    decision_type = serializers.ChoiceField(choices=DecisionType.choices)
    question = serializers.CharField()
    needed_by = AwareDateTimeField(required=False, allow_null=True, default=None)


class CorrectionInSerializer(LogKindSerializer):
    kind = _kinds(EntryKind.CORRECTION)
    corrects = LogSequenceField(help_text="Sequence of the entry this corrects.")
    text = serializers.CharField()


# Which input serializer parses which kind of entry.
LOG_ENTRY_INPUTS: dict[str, type[LogKindSerializer]] = {
    EntryKind.NOTE: NoteInSerializer,
    EntryKind.ACTION: NoteInSerializer,
    EntryKind.REFERENCE: ReferenceInSerializer,
    EntryKind.DECISION: DecisionInSerializer,
    EntryKind.DECISION_REQUEST: DecisionRequestInSerializer,
    EntryKind.CORRECTION: CorrectionInSerializer,
}


class ChainBreakSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    id = serializers.IntegerField()
    reason = serializers.CharField()


class CheckpointMatchSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1 for the incident's first checkpoint, and so on.")
    sequence = serializers.IntegerField(help_text="Position of the signed head entry.")
    signed_at = serializers.DateTimeField()
    key_id = serializers.CharField(help_text="Fingerprint of the public key that signed it.")
    valid = serializers.BooleanField(
        help_text="Signature verifies and the chain still has the signed hash there."
    )


class ChainReportSerializer(serializers.Serializer):
    incident = serializers.IntegerField(source="incident_id")
    valid = serializers.BooleanField(help_text="True only for status intact or unsigned.")
    status = serializers.ChoiceField(
        choices=STATUSES,
        help_text="intact: matches its signed checkpoints; unsigned: consistent, no checkpoint to check; "
        "broken: a link is broken; rewritten: recomputed after a checkpoint; bad_signature: a checkpoint is forged.",
    )
    detail = serializers.CharField()
    entries = serializers.IntegerField()
    first_broken = ChainBreakSerializer(allow_null=True)
    head = serializers.CharField()
    checkpoint = CheckpointMatchSerializer(
        allow_null=True,
        help_text="The latest checkpoint the chain matches, or the first one it fails; null if none.",
    )
