"""API shapes of action items (from reviews and drill debriefs); the services decide."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import AwareDateTimeField, UsernameField
from learning.models import ActionItem
from learning.reviews.vocabulary import TEXT_MAX


class ActionItemSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id")
    reference = serializers.CharField(source="incident.reference")
    review = serializers.IntegerField(source="review_id", allow_null=True)
    drill = serializers.IntegerField(source="drill_id", allow_null=True)
    owner = serializers.CharField(source="owner.username")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "incident",
            "reference",
            "review",
            "drill",
            "title",
            "owner",
            "due_at",
            "expected_outcome",
            "category",
            "status",
            "created_at",
            "completed_at",
            "reminded_at",
            "escalated_at",
            "overdue",
        ]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, item: ActionItem) -> bool:
        return item.is_open and item.due_at <= self.context["now"]


class ActionItemFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItem.Status.choices, required=False)
    owner = serializers.CharField(
        required=False, max_length=150, help_text='A username, or "me" for the caller.'
    )
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: open and past due; false: everything else.",
    )
    category = serializers.ChoiceField(choices=ActionItem.Category.choices, required=False)
    incident = serializers.IntegerField(required=False, min_value=1, max_value=2_147_483_647)


class ActionItemCreateSerializer(serializers.Serializer):
    incident = serializers.IntegerField(
        min_value=1,
        max_value=2_147_483_647,
        help_text="Id of an existing incident; the item joins its review, if any.",
    )
    title = serializers.CharField(max_length=200)
    owner = UsernameField(
        help_text="Username of an active user who reads incidents (not a regulator viewer)."
    )
    due_at = AwareDateTimeField(help_text="Must be in the future.")
    expected_outcome = serializers.CharField(max_length=TEXT_MAX)
    category = serializers.ChoiceField(choices=ActionItem.Category.choices)


class ActionItemUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItem.Status.choices, required=False)
    owner = UsernameField(
        required=False, help_text="Username of an active user who reads incidents; commanders only."
    )
    due_at = AwareDateTimeField(required=False, help_text="Must be in the future; commanders only.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
