"""Playbooks, read only over the API (they are edited in the admin)."""

from __future__ import annotations

from rest_framework import serializers

from incidents.models import Playbook


class PlaybookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Playbook
        fields = [
            "id",
            "name",
            "severity",
            "risk_tier",
            "cadence_minutes",
            "escalation_grace_minutes",
            "escalation_path",
            "notification_thresholds",
            "decision_rights",
            "approvals",
            "four_eyes_regulator",
            "is_active",
        ]
