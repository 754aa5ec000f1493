"""Regulatory obligations, triage, moments and reports: shapes only (regulatory.services decides)."""

from __future__ import annotations

from rest_framework import serializers

from api.fields import AwareDateTimeField
from kit.openapi import AtLeastOne
from regulatory import regimes
from regulatory.models import Obligation, RegulatoryReport
from regulatory.regimes import MOMENT_CHOICES

OBLIGATION_STATES = ["not_started", "running", "overdue", "submitted", "cancelled"]


class SubmissionSerializer(serializers.Serializer):
    submitted_by = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    channel = serializers.CharField()
    authority_reference = serializers.CharField(allow_blank=True)


class ObligationSerializer(serializers.Serializer):
    """One report a regime asks for, with its countdown (from regulatory.services.obligations_for)."""

    id = serializers.IntegerField()
    regime = serializers.CharField()
    regime_name = serializers.CharField()
    report = serializers.CharField()
    title = serializers.CharField()
    authority = serializers.CharField()
    immediately = serializers.CharField(allow_blank=True)
    clock_from = serializers.CharField(
        help_text="became_aware, classified_major or submitted:<report>."
    )
    window = serializers.CharField(help_text="The binding window, ISO 8601 (PT4H, P15D, P1M).")
    cite = serializers.CharField()
    starts_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=OBLIGATION_STATES)
    seconds_left = serializers.IntegerField(
        allow_null=True, help_text="Negative when overdue; null when not running."
    )
    is_drill = serializers.BooleanField()
    reminded_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.ChoiceField(choices=Obligation.Outcome.choices, allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    triaged_by = serializers.CharField()
    triaged_at = serializers.DateTimeField()
    report_status = serializers.ChoiceField(
        choices=RegulatoryReport.Status.choices, allow_null=True
    )
    signed_off_by = serializers.CharField(allow_null=True)
    signed_off_at = serializers.DateTimeField(allow_null=True)
    submission = SubmissionSerializer(allow_null=True)


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    cite = serializers.CharField()


class RegimeStateSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    questions = QuestionSerializer(many=True)
    answers = serializers.DictField(child=serializers.BooleanField(), allow_null=True)
    applies = serializers.BooleanField(allow_null=True)
    answered_by = serializers.CharField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)


class MomentStateSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=MOMENT_CHOICES)
    title = serializers.CharField()
    at = serializers.DateTimeField()
    recorded = serializers.BooleanField(help_text="False: the declaration, the default.")
    recorded_by = serializers.CharField(allow_null=True)


class TriageStateSerializer(serializers.Serializer):
    regimes = RegimeStateSerializer(many=True)
    moments = MomentStateSerializer(many=True)


def _triage_serializer(regime: regimes.Regime) -> type[serializers.Serializer]:
    """The body that answers one regime: its slug and every one of its questions, true or false."""
    name = "".join(part.title() for part in regime.slug.split("-"))
    answers = type(
        f"{name}Answers",
        (AtLeastOne, serializers.Serializer),
        {
            "__doc__": f"Answers to the questions of {regime.name}.",
            "closed": True,
            **{
                q.key: serializers.BooleanField(help_text=f"{q.text} ({q.cite})")
                for q in regime.questions
            },
        },
    )
    return type(
        f"{name}Triage",
        (serializers.Serializer,),
        {
            "__doc__": f"Triage of {regime.name}.",
            "regime": serializers.ChoiceField(choices=[regime.slug]),
            "answers": answers(),
        },
    )


# One body per regime, told apart by `regime` (a oneOf in the schema).
TRIAGE_INPUTS = {slug: _triage_serializer(r) for slug, r in regimes.all_regimes().items()}


class MomentSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=MOMENT_CHOICES)
    at = AwareDateTimeField(required=False, help_text="Default: now.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReportFieldSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField(help_text="What the regime asks for.")
    value = serializers.CharField(allow_blank=True)


class ReportSerializer(serializers.Serializer):
    obligation = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=RegulatoryReport.Status.choices)
    content = ReportFieldSerializer(
        many=True, help_text="The report's fields, in the regime's order."
    )
    edited_by = serializers.CharField(allow_null=True)
    edited_at = serializers.DateTimeField(allow_null=True)
    signed_off_by = serializers.CharField(allow_null=True)
    signed_off_at = serializers.DateTimeField(allow_null=True)
    submitted_by = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    channel = serializers.CharField(allow_blank=True)
    authority_reference = serializers.CharField(allow_blank=True)


class ReportEditSerializer(AtLeastOne, serializers.Serializer):
    """The body must carry `content` (the schema says so, for PATCH too)."""

    content = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=20_000),
        help_text="Field key -> text; keys not given keep their text.",
    )


class SubmitSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=200)
    authority_reference = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    submitted_at = AwareDateTimeField(required=False, help_text="Default: now.")
