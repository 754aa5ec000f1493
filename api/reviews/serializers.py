"""API shapes of post-incident reviews and the taxonomies they are classified against; the services decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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
    label = serializers.CharField()  # type: ignore[assignment]  # the field shadows a Serializer attribute


class ReviewTaxonomyRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    version = serializers.CharField()
    source_url = serializers.CharField()


class ReviewClassificationSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field shadows a Serializer attribute
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
        self.fields["taxonomy"].choices = sorted(taxonomies.all_taxonomies())  # type: ignore[attr-defined]


for _name in TEXT_FIELDS:
    ReviewEditSerializer._declared_fields[_name] = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX, trim_whitespace=True
    )


class ReviewAddendumInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=TEXT_MAX)


# --- Taxonomies ---------------------------------------------------------------------------------


class TaxonomyDimensionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field shadows a Serializer attribute
    help = serializers.CharField(allow_blank=True)
    required = serializers.BooleanField()  # type: ignore[assignment]  # the field shadows a Serializer attribute
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
