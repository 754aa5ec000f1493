"""API shapes of post-incident reviews and action items; the services decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import AwareDateTimeField, UsernameField
from learning import taxonomies
from learning.models import ActionItem, Review, RootCause
from learning.reviews.vocabulary import AUDIENCES, TEXT_FIELDS, TEXT_MAX

AUDIENCE_CHOICES = [(a, a) for a in AUDIENCES]


# --- Reviews: output ----------------------------------------------------------------------------


class AudienceQuerySerializer(serializers.Serializer):
    audience = serializers.ChoiceField(
        choices=AUDIENCE_CHOICES,
        required=False,
        help_text="Rendition to read; by default the first one the caller may read "
        "(technical, else executive, else regulator).",
    )


class ReviewRootCauseSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=RootCause.choices)
    label = serializers.CharField()


class ReviewTaxonomyRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    version = serializers.CharField()
    source_url = serializers.CharField()


class ReviewClassificationSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField(help_text="Several values are joined with ', '.")


class ReviewFactsSerializer(serializers.Serializer):
    severity = serializers.CharField(allow_null=True)
    detected_at = serializers.CharField(allow_null=True)
    resolved_at = serializers.CharField(allow_null=True)
    duration_minutes = serializers.IntegerField(allow_null=True)
    customers_affected = serializers.IntegerField(allow_null=True)
    revenue_at_risk_per_hour = serializers.CharField(allow_null=True)
    peak_customers_per_hour = serializers.FloatField(allow_null=True)
    regulatory_exposure = serializers.CharField(allow_null=True)


class ReviewSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField(allow_blank=True)


class ReviewActionItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.ChoiceField(choices=ActionItem.Category.choices)
    category_label = serializers.CharField()
    status = serializers.ChoiceField(choices=ActionItem.Status.choices)
    status_label = serializers.CharField()
    due_at = serializers.DateTimeField()
    owner = serializers.CharField(
        allow_null=True, help_text="Left out (null) of the regulator rendition."
    )
    expected_outcome = serializers.CharField()
    overdue = serializers.BooleanField()


class ReviewAddendumSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    author = serializers.CharField(allow_null=True)


class ReviewJargonSerializer(serializers.Serializer):
    field = serializers.CharField()
    slug = serializers.CharField()
    term = serializers.CharField()
    matched = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    plain_definition = serializers.CharField()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "nullable": True,
        "description": "The generated record (technical rendition only): incident, timeline, "
        "decisions, milestones, cadence, impact, updates.",
    }
)
class GeneratedField(serializers.JSONField):
    pass


class ReviewSerializer(serializers.Serializer):
    """One rendition of a review."""

    audience = serializers.ChoiceField(choices=AUDIENCE_CHOICES)
    available_audiences = serializers.ListField(
        child=serializers.ChoiceField(choices=AUDIENCE_CHOICES)
    )
    incident = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Review.Status.choices)
    generated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    published_by = serializers.CharField(allow_null=True)
    regulator_signed_off_at = serializers.DateTimeField(allow_null=True)
    regulator_signed_off_by = serializers.CharField(allow_null=True)
    root_causes = ReviewRootCauseSerializer(many=True)
    taxonomy = ReviewTaxonomyRefSerializer(allow_null=True)
    classification = ReviewClassificationSerializer(many=True)
    facts = ReviewFactsSerializer()
    sections = ReviewSectionSerializer(many=True)
    action_items = ReviewActionItemSerializer(many=True)
    addenda = ReviewAddendumSerializer(many=True)
    generated = GeneratedField(allow_null=True)
    jargon = ReviewJargonSerializer(
        many=True, help_text="Technical terms in the executive rendition (a warning)."
    )
    markdown_url = serializers.CharField()


class ReviewSummarySerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id")
    reference = serializers.CharField(source="incident.reference")
    title = serializers.CharField(source="incident.title")
    open_action_items = serializers.IntegerField(source="open_items")

    class Meta:
        model = Review
        fields = [
            "incident",
            "reference",
            "title",
            "status",
            "generated_at",
            "published_at",
            "taxonomy",
            "taxonomy_version",
            "open_action_items",
        ]


class ReviewMarkdownSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=AUDIENCE_CHOICES)
    filename = serializers.CharField()
    markdown = serializers.CharField()


# --- Reviews: input -----------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
        },
        "description": "Dimension key -> value (a list for multiple-valued dimensions), checked against the taxonomy.",
    }
)
class ClassificationField(serializers.DictField):
    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_a_dict", input_type=type(data).__name__)
        for key, value in data.items():
            ok = isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            )
            if not ok:
                raise serializers.ValidationError({key: ["A string, or a list of strings."]})
        return dict(data)


class ReviewEditSerializer(serializers.Serializer):
    """Draft fields to change; only those given change."""

    root_causes = serializers.ListField(
        child=serializers.ChoiceField(choices=RootCause.choices), required=False
    )
    taxonomy = serializers.ChoiceField(
        choices=[],
        required=False,
        allow_blank=True,
        help_text="Slug of a taxonomy (GET /api/v1/taxonomies/); blank clears it.",
    )
    classification = ClassificationField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["taxonomy"].choices = sorted(taxonomies.all_taxonomies())


for _name in TEXT_FIELDS:
    ReviewEditSerializer._declared_fields[_name] = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX, trim_whitespace=True
    )


class ReviewAddendumInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_MAX)


# --- Taxonomies ---------------------------------------------------------------------------------


class TaxonomyDimensionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    help = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()
    multiple = serializers.BooleanField()
    values = serializers.ListField(child=serializers.CharField())


class TaxonomySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    version = serializers.CharField()
    publisher = serializers.CharField(allow_blank=True)
    source_url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    dimensions = TaxonomyDimensionSerializer(many=True)


# --- Action items -------------------------------------------------------------------------------


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
