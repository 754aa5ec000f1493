"""Readers' feedback on an incident's updates: average ratings overall, per audience, per update."""

from __future__ import annotations

from rest_framework import serializers

from incidents.choices import Audience


class RatingStatsSerializer(serializers.Serializer):
    avg_clarity = serializers.FloatField(allow_null=True)
    avg_usefulness = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class AudienceRatingSerializer(RatingStatsSerializer):
    audience = serializers.ChoiceField(choices=Audience.choices)


class UpdateRatingSerializer(AudienceRatingSerializer):
    update = serializers.IntegerField(help_text="Update number.")  # type: ignore[assignment]  # the field shadows a Serializer attribute


class FeedbackSummarySerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    overall = RatingStatsSerializer()
    by_audience = AudienceRatingSerializer(many=True)
    by_update = UpdateRatingSerializer(many=True, help_text="Per update and audience.")
