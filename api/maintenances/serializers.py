"""Scheduled maintenance: shapes only (publicstatus.maintenance decides)."""

from __future__ import annotations

from rest_framework import serializers

from publicstatus.maintenance import STEPS
from publicstatus.models import Maintenance, MaintenanceUpdate


class MaintenanceUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaintenanceUpdate
        fields = ["status", "body", "created_at"]


class MaintenanceSerializer(serializers.ModelSerializer):
    components = serializers.SlugRelatedField(  # type: ignore[var-annotated]  # many=True
        slug_field="slug", many=True, read_only=True
    )
    updates = MaintenanceUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = Maintenance
        fields = [
            "id",
            "name",
            "body",
            "status",
            "impact",
            "scheduled_for",
            "scheduled_until",
            "components",
            "created_at",
            "announced_at",
            "started_at",
            "completed_at",
            "cancelled_at",
            "updates",
        ]


class MaintenanceCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    scheduled_for = serializers.DateTimeField(help_text="When the window starts.")
    scheduled_until = serializers.DateTimeField(help_text="When it ends: after scheduled_for.")
    components = serializers.ListField(
        child=serializers.SlugField(max_length=80),
        required=False,
        max_length=200,
        help_text="Slugs of watched, non-drill models (GET /api/v1/models/).",
    )
    impact = serializers.ChoiceField(
        choices=Maintenance.Impact.choices, default=Maintenance.Impact.MAINTENANCE
    )


class MaintenanceStepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(
        choices=sorted(STEPS),
        help_text="announce (a draft), start (announced, scheduled), complete (started), "
        "cancel (not started); out of order: 409.",
    )
    body = serializers.CharField(required=False, allow_blank=True, max_length=5000)
