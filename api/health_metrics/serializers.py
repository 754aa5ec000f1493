"""Health metrics of monitored models: metric points in and out, the batch a monitoring job posts.

Not to be confused with communication metrics (api/communication_metrics/).
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from api.fields import AwareDateTimeField, StrictFloatField
from incidents.health_metrics import MAX_POINTS_PER_REQUEST
from incidents.models import MetricPoint

# \A … \Z, not ^ … $: "$" would accept a trailing newline.
METRIC_NAME = re.compile(r"\A[a-z][a-z0-9_.]{0,63}\Z")
METRIC_NAME_MESSAGE = (
    "Metric names are lowercase letters, digits, '_' and '.', starting with a letter (max 64)."
)


class MetricPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricPoint
        fields = ["metric", "timestamp", "value", "is_drill"]


class MetricPointInSerializer(serializers.Serializer):
    metric = serializers.RegexField(
        METRIC_NAME,
        max_length=64,
        trim_whitespace=False,
        error_messages={"invalid": METRIC_NAME_MESSAGE},
    )
    timestamp = AwareDateTimeField()
    value = StrictFloatField()  # DRF refuses NaN and ±infinity


class MetricBatchSerializer(serializers.Serializer):
    points = MetricPointInSerializer(  # type: ignore[call-arg]  # many=True takes max_length
        many=True, allow_empty=False, max_length=MAX_POINTS_PER_REQUEST
    )
    is_drill = serializers.BooleanField(
        required=False, default=False, help_text="Drill replays; kept apart from real data."
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        # Refuse an oversized batch before validating 10 000 points one by one.
        points = data.get("points") if isinstance(data, dict) else None
        if isinstance(points, list) and len(points) > MAX_POINTS_PER_REQUEST:
            raise serializers.ValidationError(
                {
                    "points": [
                        f"At most {MAX_POINTS_PER_REQUEST} points per request; got {len(points)}."
                    ]
                }
            )
        return super().to_internal_value(data)


class MetricBatchResultSerializer(serializers.Serializer):
    model = serializers.CharField()
    received = serializers.IntegerField()
    stored = serializers.IntegerField(
        help_text="Distinct (metric, timestamp) points written or overwritten."
    )


class MetricFilterSerializer(serializers.Serializer):
    metric = serializers.RegexField(
        METRIC_NAME, max_length=64, required=False, error_messages={"invalid": METRIC_NAME_MESSAGE}
    )
    since = AwareDateTimeField(required=False)
    until = AwareDateTimeField(required=False)
    is_drill = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "since" in attrs and "until" in attrs and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["until must not be before since."]})
        return attrs
