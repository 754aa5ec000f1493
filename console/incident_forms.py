"""Forms of the incident pages: they parse input; incidents.services decides."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from incidents.choices import (
    GROUP_ADMIN,
    GROUP_COMMANDER,
    GROUP_RESPONDER,
    Audience,
    DecisionType,
    ExposureLevel,
    Phase,
    Role,
    Severity,
)
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import AffectedModel, MonitoredModel, RoleAssignment


def responders() -> QuerySet[User]:
    """Users who may hold incident roles."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__name__in=[GROUP_RESPONDER, GROUP_COMMANDER, GROUP_ADMIN])
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


REFERENCE = re.compile(r"^\s*(?:INC-?)?(\d{1,9})\s*$", re.IGNORECASE)


class IncidentFilterForm(forms.Form):
    ANY: list[tuple[Any, str]] = [("", "Any")]
    DRILL_CHOICES = [("", "Shown"), ("real", "Hidden"), ("drill", "Only drills")]

    q = forms.CharField(
        max_length=200,
        required=False,
        label="Search",
        help_text="Title, scope or reference (INC-12).",
    )
    phase = forms.ChoiceField(choices=ANY + Phase.choices, required=False)
    severity = forms.TypedChoiceField(
        choices=ANY + Severity.choices, coerce=int, empty_value=None, required=False
    )
    model = forms.ModelChoiceField(
        queryset=MonitoredModel.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Any",
    )
    drill = forms.ChoiceField(choices=DRILL_CHOICES, required=False, label="Drills")
    mine = forms.BooleanField(required=False, label="Only where I hold a role")

    def filter(self, queryset: QuerySet, user: Any) -> QuerySet:
        """Narrow `queryset`; subqueries instead of joins, so no DISTINCT and counts stay exact."""
        data = self.cleaned_data
        if data.get("q"):
            text = data["q"].strip()
            match = REFERENCE.match(text)
            condition = Q(title__icontains=text) | Q(scope__icontains=text)
            if match:
                condition |= Q(pk=int(match.group(1)))
            queryset = queryset.filter(condition)
        if data.get("phase"):
            queryset = queryset.filter(phase=data["phase"])
        if data.get("severity"):
            queryset = queryset.filter(severity=data["severity"])
        if data.get("model"):
            queryset = queryset.filter(
                pk__in=AffectedModel.objects.filter(model=data["model"]).values("incident_id")
            )
        if data.get("drill"):
            queryset = queryset.filter(is_drill=data["drill"] == "drill")
        if data.get("mine"):
            queryset = queryset.filter(
                pk__in=RoleAssignment.objects.active().filter(user=user).values("incident_id")
            )
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
    scope = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What is affected, and what is not.",
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    detection_indicator = forms.CharField(
        max_length=300,
        required=False,
        label="How it was detected",
        help_text='The observable signal, e.g. "FP rate 4.9 % for 15 min".',
    )
    customers_affected = forms.IntegerField(min_value=0, initial=0)
    revenue_at_risk_per_hour = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, initial=0, label="Revenue at risk per hour"
    )
    regulatory_exposure = forms.ChoiceField(
        choices=ExposureLevel.choices, initial=ExposureLevel.NONE
    )
    customer_experience = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="What customers notice, in plain words.",
    )
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
    approved_by = UserChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="Needed when the playbook requires an approval.",
    )
    settles = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Settles request"
    )

    def __init__(
        self,
        *args: Any,
        decision_types: list[str],
        open_requests: list[DecisionLogEntry],
        approvers: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["decision_type"]).choices = [
            (d, DecisionType(d).label) for d in decision_types
        ]
        cast(forms.ModelChoiceField, self.fields["approved_by"]).queryset = approvers
        cast(forms.ChoiceField, self.fields["settles"]).choices = [("", "None")] + [
            (e.sequence, f"#{e.sequence}: {e.data.get('question', e.summary)}")
            for e in open_requests
        ]

    def options(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data["options_considered"].splitlines()
            if line.strip()
        ]


class MilestoneForm(forms.Form):
    phase = forms.ChoiceField(label="Phase reached")
    indicator = forms.CharField(
        max_length=300,
        label="Observable indicator",
        help_text='What proves it, e.g. "FP rate < 2 % for 30 min".',
    )

    def __init__(self, *args: Any, phases: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["phase"]).choices = [
            (p, Phase(p).label) for p in phases
        ]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    user = UserChoiceField(queryset=User.objects.none(), label="Person")
    note = forms.CharField(
        max_length=300, required=False, label="Reason", help_text="Why, e.g. shift hand-off."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = responders()


class SeverityForm(forms.Form):
    severity = forms.TypedChoiceField(choices=Severity.choices, coerce=int, label="New severity")
    reason = forms.CharField(max_length=300, label="Reason", help_text="Logged with the change.")


class SnoozeForm(forms.Form):
    audience = forms.ChoiceField(label="Audience")
    minutes = forms.TypedChoiceField(
        choices=[(m, f"{m} min") for m in (5, 10, 15, 30, 60)],
        coerce=int,
        initial=10,
        label="Snooze by",
    )
    reason = forms.CharField(
        max_length=300, label="Reason", help_text="Logged; a deadline can be snoozed once."
    )

    def __init__(self, *args: Any, audiences: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["audience"]).choices = audiences


class ReleaseRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role to release")
    note = forms.CharField(max_length=300, required=False, label="Reason")

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = roles


class DecisionRequestForm(forms.Form):
    decision_type = forms.ChoiceField(choices=DecisionType.choices, label="Decision type")
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Question",
        help_text="What must be decided, and by when.",
    )


AUDIENCE_HELP = {
    Audience.TECHNICAL: "Engineers, data scientists, SRE: detail, metrics, references.",
    Audience.EXECUTIVE: "Business consequences first (customers, revenue, regulatory exposure); no jargon.",
    Audience.REGULATOR: "Compliance-conscious disclosure; published only after the regulator liaison signs off.",
    Audience.CUSTOMER: "Public notice for the status page; a customer notice needs the comms lead's decision right.",
}
STRUCTURED_FIELDS = (
    "what_changed",
    "uncertain",
    "decisions_pending",
    "actions_in_progress",
    "current_impact",
)


class UpdateForm(forms.Form):
    """The update composer: structured fields, then one summary + body per audience.

    An audience is included when its summary (or body) is filled in.
    """

    what_changed = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What changed")
    uncertain = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="What remains uncertain"
    )
    decisions_pending = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Decisions pending"
    )
    actions_in_progress = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Actions in progress"
    )
    current_impact = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Current impact"
    )
    next_update_at = forms.DateTimeField(
        required=False,
        label="Next update at (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Optional; by default the playbook's cadence sets it.",
    )
    corrects = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Corrects update"
    )

    def __init__(self, *args: Any, published: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["corrects"]).choices = [("", "None (a new update)")] + [
            (n, f"Update {n}") for n in (published or [])
        ]
        for audience, label in Audience.choices:
            self.fields[f"{audience}_summary"] = forms.CharField(
                max_length=500,
                required=False,
                label=f"{label} summary",
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Short summary, read first. Leave empty to skip this audience.",
            )
            self.fields[f"{audience}_body"] = forms.CharField(
                required=False,
                label=f"{label} detail",
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def audience_fields(self) -> list[dict[str, Any]]:
        """Return, per audience, its bound fields for the template's fieldsets."""
        return [
            {
                "value": a,
                "label": label,
                "help": AUDIENCE_HELP[Audience(a)],
                "plain": a != Audience.TECHNICAL,
                "summary": self[f"{a}_summary"],
                "body": self[f"{a}_body"],
                "has_errors": bool(self[f"{a}_summary"].errors or self[f"{a}_body"].errors),
            }
            for a, label in Audience.choices
        ]

    def structured_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (*STRUCTURED_FIELDS, "next_update_at")]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        found = False
        for audience in Audience.values:
            summary, body = data.get(f"{audience}_summary", ""), data.get(f"{audience}_body", "")
            if body and not summary:
                self.add_error(
                    f"{audience}_summary", "Every rendition starts with a short summary."
                )
            found = found or bool(summary)
        if not found and not self.errors:
            raise forms.ValidationError("Write at least one audience's summary.")
        return data

    def renditions(self) -> dict[str, dict[str, str]]:
        data = self.cleaned_data
        return {
            a: {"summary": data[f"{a}_summary"], "body": data[f"{a}_body"]}
            for a in Audience.values
            if data.get(f"{a}_summary")
        }

    def fields_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in STRUCTURED_FIELDS},
            "next_update_at": data["next_update_at"],
        }

    @classmethod
    def initial_for(cls, update: Any) -> dict[str, Any]:
        """Return the composer's initial values for editing `update` (renditions prefetched)."""
        initial: dict[str, Any] = {name: getattr(update, name) for name in STRUCTURED_FIELDS}
        initial["next_update_at"] = update.next_update_at
        initial["corrects"] = update.corrects.number if update.corrects_id else None
        for r in update.renditions.all():
            initial[f"{r.audience}_summary"], initial[f"{r.audience}_body"] = r.summary, r.body
        return initial

    @staticmethod
    def field_for_domain_error(field: str | None) -> str | None:
        """Map a comms service's field name ("renditions.executive.summary") onto the composer's."""
        if field and field.startswith("renditions."):
            parts = field.split(".")
            return f"{parts[1]}_{parts[2] if len(parts) > 2 else 'summary'}"
        return field


class PublishForm(forms.Form):
    acknowledge_jargon = forms.BooleanField(
        required=False, label="I acknowledge the technical terms"
    )
    approved_by = UserChoiceField(queryset=User.objects.none(), required=False, label="Approved by")

    def __init__(self, *args: Any, approvers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if approvers is not None:
            cast(forms.ModelChoiceField, self.fields["approved_by"]).queryset = approvers
