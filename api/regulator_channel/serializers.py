"""The regulator channel: published, signed-off regulator renditions across incidents."""

from __future__ import annotations

from rest_framework import serializers

from comms.models import Rendition


class RegulatorUpdateSerializer(serializers.ModelSerializer):
    """A published, signed-off regulator rendition; expects update__incident selected."""

    incident = serializers.IntegerField(source="update.incident_id")
    incident_reference = serializers.CharField(source="update.incident.reference")
    incident_title = serializers.CharField(source="update.incident.title")
    update = serializers.IntegerField(source="update.number")  # type: ignore[assignment]  # the field shadows a Serializer attribute
    published_at = serializers.DateTimeField(source="update.published_at")

    class Meta:
        model = Rendition
        fields = [
            "id",
            "incident",
            "incident_reference",
            "incident_title",
            "update",
            "published_at",
            "summary",
            "body",
            "signed_off_at",
        ]
