"""Each user's in-app inbox: messages and "mark all read"."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from comms.models import Delivery


class InboxItemSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="update, reminder, escalation or test.")
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = [
            "id",
            "kind",
            "incident",
            "audience",
            "is_drill",
            "payload",
            "created_at",
            "read_at",
            "is_read",
        ]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_read(self, delivery: Delivery) -> bool:
        return delivery.read_at is not None


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Messages marked read now.")
    unread = serializers.IntegerField()
