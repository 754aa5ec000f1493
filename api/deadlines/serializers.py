"""Cadence deadlines of an incident: listing them and snoozing one."""

from __future__ import annotations

from rest_framework import serializers

from api.fields import username_of
from comms.cadence import MAX_SNOOZE_MINUTES
from comms.models import Deadline


class DeadlineSerializer(serializers.ModelSerializer):
    """One cadence slot; expects opened_by, fulfilled_by and snoozed_by selected."""

    is_open = serializers.BooleanField()
    opened_by = serializers.IntegerField(
        source="opened_by.number",
        allow_null=True,
        default=None,
        help_text="The update whose publication opened it (null: the declaration).",
    )
    fulfilled_by = serializers.IntegerField(
        source="fulfilled_by.number", allow_null=True, default=None
    )
    snoozed_by = username_of("snoozed_by")

    class Meta:
        model = Deadline
        fields = [
            "id",
            "audience",
            "opened_at",
            "due_at",
            "cadence_minutes",
            "opened_by",
            "is_open",
            "outcome",
            "fulfilled_at",
            "fulfilled_by",
            "reminded_at",
            "escalated_at",
            "escalation_step",
            "snoozed_at",
            "snoozed_by",
            "snooze_reason",
            "cancelled_at",
        ]


class DeadlineFilterSerializer(serializers.Serializer):
    is_open = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: open deadlines only; false: past ones only.",
    )


class SnoozeSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_SNOOZE_MINUTES, help_text=f"1 to {MAX_SNOOZE_MINUTES}."
    )
    reason = serializers.CharField(max_length=300)
