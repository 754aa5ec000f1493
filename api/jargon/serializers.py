"""The jargon check: text in, the technical terms found in it out."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.updates.serializers import TEXT_MAX
from glossary.jargon import JargonMatch
from incidents.choices import Audience


class JargonCheckSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, trim_whitespace=False)
    audience = serializers.ChoiceField(choices=Audience.choices)


class JargonMatchSerializer(serializers.Serializer):
    slug = serializers.CharField()
    term = serializers.CharField()
    matched = serializers.CharField(help_text="The text as written.")
    start = serializers.IntegerField(
        help_text="Offset of the first character (Python string index)."
    )
    end = serializers.IntegerField(help_text="Offset after the last character.")
    plain_definition = serializers.CharField()

    def to_representation(self, instance: JargonMatch | dict[str, Any]) -> dict[str, Any]:
        return super().to_representation(
            instance.as_dict() if isinstance(instance, JargonMatch) else instance
        )


class JargonResultSerializer(serializers.Serializer):
    matches = JargonMatchSerializer(many=True)
    flagged = serializers.BooleanField(
        help_text="True when terms were found and the audience needs plain language "
        "(executive, regulator, customer)."
    )
