"""Glossary terms and their version history: shapes out, create and revise in, search."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import LookupField
from glossary.models import VERSIONED_FIELDS, Term, TermVersion
from kit.openapi import AtLeastOne


class TermVersionSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", allow_null=True, default=None)

    class Meta:
        model = TermVersion
        fields = [
            "version",
            "name",
            "variants",
            "technical_definition",
            "plain_definition",
            "examples",
            "is_technical",
            "changed_by",
            "changed_at",
            "change_note",
        ]


class TermVersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = TermVersion
        fields = ["version", "changed_at", "change_note"]


class TermSerializer(serializers.ModelSerializer):
    """A term in a list; expects `related` prefetched."""

    related = serializers.SlugRelatedField(  # type: ignore[var-annotated]  # many=True
        slug_field="slug", many=True, read_only=True
    )

    class Meta:
        model = Term
        fields = [
            "slug",
            "name",
            "variants",
            "technical_definition",
            "plain_definition",
            "examples",
            "is_technical",
            "related",
            "version",
            "updated_at",
        ]


class TermDetailSerializer(TermSerializer):
    """A term with its history; expects `versions` prefetched."""

    versions = TermVersionRefSerializer(many=True)

    class Meta(TermSerializer.Meta):
        fields = [*TermSerializer.Meta.fields, "versions"]


@extend_schema_field({"type": "string", "maxLength": 80, "pattern": "[A-Za-z0-9]"})
class TermNameField(serializers.CharField):
    """A term's name: its slug is made from it, so it needs a letter or digit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=80, **kwargs)


class TermCreateSerializer(serializers.Serializer):
    name = TermNameField()
    technical_definition = serializers.CharField()
    plain_definition = serializers.CharField()
    variants = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, default=list
    )
    examples = serializers.CharField(required=False, allow_blank=True, default="")
    is_technical = serializers.BooleanField(required=False, default=True)
    related = LookupField(
        slug_field="slug", queryset=Term.objects.all(), many=True, required=False, default=list
    )


class TermReviseSerializer(AtLeastOne, serializers.Serializer):
    """Give only the fields that change; `note` says why."""

    at_least_one_of = tuple(VERSIONED_FIELDS)

    name = TermNameField(required=False)
    technical_definition = serializers.CharField(required=False)
    plain_definition = serializers.CharField(required=False)
    variants = serializers.ListField(child=serializers.CharField(max_length=80), required=False)
    examples = serializers.CharField(required=False, allow_blank=True)
    is_technical = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not set(attrs) & set(VERSIONED_FIELDS):
            raise serializers.ValidationError("Give at least one field to revise.")
        return attrs


class TermSearchSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Search names, spellings and definitions.",
    )
