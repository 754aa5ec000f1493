"""Forms of the incident pages: they parse input; incidents.services decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from incidents.choices import (
    GROUP_ADMIN,
    GROUP_COMMANDER,
    GROUP_RESPONDER,
    DecisionType,
    ExposureLevel,
    Phase,
    Role,
    Severity,
)
from incidents.errors import DomainError
from incidents.models import DecisionLogEntry, MonitoredModel


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Attach a refused request to the field the service named, else to the form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def responders() -> QuerySet[User]:
    """Users who may hold incident roles."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=[GROUP_RESPONDER, GROUP_COMMANDER, GROUP_ADMIN]) | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class IncidentFilterForm(forms.Form):
    ANY = [("", "Any")]
    DRILL_CHOICES = [("", "Real and drills"), ("real", "Real only"), ("drill", "Drills only")]

    phase = forms.ChoiceField(choices=ANY + Phase.choices, required=False)
    severity = forms.TypedChoiceField(choices=ANY + Severity.choices, coerce=int, empty_value=None, required=False)
    model = forms.ModelChoiceField(
        queryset=MonitoredModel.objects.order_by("name"), to_field_name="slug", required=False, empty_label="Any"
    )
    drill = forms.ChoiceField(choices=DRILL_CHOICES, required=False, label="Drills")

    def filter(self, queryset: QuerySet) -> QuerySet:
        data = self.cleaned_data
        if data.get("phase"):
            queryset = queryset.filter(phase=data["phase"])
        if data.get("severity"):
            queryset = queryset.filter(severity=data["severity"])
        if data.get("model"):
            queryset = queryset.filter(affected_links__model=data["model"]).distinct()
        if data.get("drill"):
            queryset = queryset.filter(is_drill=data["drill"] == "drill")
        return queryset


class DeclareIncidentForm(forms.Form):
    title = forms.CharField(max_length=200)
    severity = forms.TypedChoiceField(choices=Severity.choices, coerce=int, initial=Severity.SEV3)
    models = forms.ModelMultipleChoiceField(
        queryset=MonitoredModel.objects.filter(is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Affected models",
    )
    scope = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            help_text="What is affected, and what is not.")
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    detection_indicator = forms.CharField(max_length=300, required=False, label="How it was detected",
                                          help_text='The observable signal, e.g. "FP rate 4.9 % for 15 min".')
    customers_affected = forms.IntegerField(min_value=0, initial=0)
    revenue_at_risk_per_hour = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2, initial=0,
                                                  label="Revenue at risk per hour")
    regulatory_exposure = forms.ChoiceField(choices=ExposureLevel.choices, initial=ExposureLevel.NONE)
    customer_experience = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                          help_text="What customers notice, in plain words.")
    is_drill = forms.BooleanField(required=False, label="This is a drill")


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Note")


class DecisionForm(forms.Form):
    decision_type = forms.ChoiceField(label="Decision type")
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Decision")
    options_considered = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="One option per line."
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    reversible = forms.BooleanField(required=False, initial=True)
    approved_by = UserChoiceField(queryset=User.objects.none(), required=False,
                                  help_text="Needed when the playbook requires an approval.")
    settles = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Settles request")

    def __init__(
        self, *args: Any, decision_types: list[str], open_requests: list[DecisionLogEntry],
        approvers: QuerySet[User], **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision_type"].choices = [(d, DecisionType(d).label) for d in decision_types]
        self.fields["approved_by"].queryset = approvers
        self.fields["settles"].choices = [("", "None")] + [
            (e.sequence, f"#{e.sequence}: {e.data.get('question', e.summary)}") for e in open_requests
        ]

    def options(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options_considered"].splitlines() if line.strip()]


class MilestoneForm(forms.Form):
    phase = forms.ChoiceField(label="Phase reached")
    indicator = forms.CharField(
        max_length=300, label="Observable indicator", help_text='What proves it, e.g. "FP rate < 2 % for 30 min".'
    )

    def __init__(self, *args: Any, phases: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [(p, Phase(p).label) for p in phases]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    user = UserChoiceField(queryset=User.objects.none(), label="Person")
    note = forms.CharField(max_length=300, required=False, label="Reason", help_text="Why, e.g. shift hand-off.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = responders()
