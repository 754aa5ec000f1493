"""The review page's forms: the review itself, addenda, action items and their status.

Kept apart from the views (learning/pages/reviews.py) so each module reads in
one sitting; the form field names map onto the review services' through
`ReviewForm.field_for_domain_error`.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q

from incidents.choices import GROUP_ADMIN, GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_RESPONDER
from learning import taxonomies
from learning.models import ActionItem, Review, RootCause
from learning.reviews import vocabulary as review_vocabulary


def owners() -> Any:
    """People who may own an action item: anyone who reads incidents."""
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(groups__name__in=[GROUP_RESPONDER, GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_ADMIN])
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("username")
    )


def _cls_name(slug: str, key: str) -> str:
    return f"cls__{slug}__{key}"


class ReviewForm(forms.Form):
    executive_summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="In business terms: executives read this.",
    )
    root_causes = forms.MultipleChoiceField(
        required=False,
        choices=RootCause.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Several allowed.",
    )
    root_cause_detail = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    failed_gates = forms.CharField(
        required=False,
        label="Quality gates that failed, and why",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    containment_effectiveness = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    counterfactuals = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    went_well = forms.CharField(
        required=False, label="What went well", widget=forms.Textarea(attrs={"rows": 3})
    )
    went_badly = forms.CharField(
        required=False, label="What went badly", widget=forms.Textarea(attrs={"rows": 3})
    )
    lessons = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    regulator_disclosure = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown to regulator viewers once the regulator liaison signs it off. Editing it voids a sign-off.",
    )
    taxonomy = forms.ChoiceField(
        required=False, help_text="The classification below is read for this taxonomy."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["taxonomy"]).choices = [("", "— none —")] + [
            (t.slug, f"{t.name} (version {t.version})")
            for t in taxonomies.all_taxonomies().values()
        ]
        for t in taxonomies.all_taxonomies().values():
            for d in t.dimensions:
                choices = [(v, v) for v in d.values]
                label = f"{d.label}{' (required to publish)' if d.required else ''}"
                self.fields[_cls_name(t.slug, d.key)] = (
                    forms.MultipleChoiceField(
                        required=False,
                        choices=choices,
                        widget=forms.CheckboxSelectMultiple,
                        label=label,
                        help_text=d.help,
                    )
                    if d.multiple
                    else forms.ChoiceField(
                        required=False, choices=[("", "—")] + choices, label=label, help_text=d.help
                    )
                )

    @classmethod
    def for_review(cls, review: Review, data: Any = None) -> ReviewForm:
        initial = {name: getattr(review, name) for name in review_vocabulary.TEXT_FIELDS}
        initial |= {"root_causes": review.root_causes, "taxonomy": review.taxonomy}
        initial |= {_cls_name(review.taxonomy, k): v for k, v in review.classification.items()}
        return cls(data, initial=initial)

    def taxonomy_groups(self) -> list[tuple[taxonomies.Taxonomy, list[forms.BoundField]]]:
        return [
            (t, [self[_cls_name(t.slug, d.key)] for d in t.dimensions])
            for t in taxonomies.all_taxonomies().values()
        ]

    def field_for_domain_error(self, field: str | None) -> str | None:
        """Put a refused classification value beside its dimension ("classification.harm_type")."""
        if field and field.startswith("classification.") and self.cleaned_data.get("taxonomy"):
            return _cls_name(self.cleaned_data["taxonomy"], field.split(".", 1)[1])
        return (field or "").split(".")[0] or None

    def changes(self) -> dict[str, Any]:
        d = self.cleaned_data
        out = {name: d[name] for name in review_vocabulary.TEXT_FIELDS}
        out["root_causes"] = d["root_causes"]
        out["taxonomy"] = d["taxonomy"]
        taxonomy = taxonomies.get(d["taxonomy"])
        out["classification"] = (
            {k.key: d[_cls_name(taxonomy.slug, k.key)] for k in taxonomy.dimensions}
            if taxonomy
            else {}
        )
        return out


class AddendumForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Later finding")


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_at = forms.DateTimeField(
        label="Due (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    expected_outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.ChoiceField(choices=ActionItem.Category.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = owners()


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
    note = forms.CharField(required=False, max_length=300)
