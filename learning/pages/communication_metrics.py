"""The communication-metrics page and its CSV export (same filters, same numbers)."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from incidents import permissions
from incidents.choices import Severity
from incidents.models import MonitoredModel
from learning import communication_metrics as metrics
from learning.communication_metrics import charts, present

ANY: list[tuple[Any, str]] = [("", "Any")]
DRILL_CHOICES = [
    ("separate", "Shown apart"),
    ("exclude", "Hidden"),
    ("only", "Only drills"),
]


class MetricsFilterForm(forms.Form):
    """GET filters of the page and the CSV; every field optional."""

    date_from = forms.DateField(
        required=False,
        label="Declared from",
        help_text="Day, UTC.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False,
        label="Declared to",
        help_text="Day, UTC; included.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    severity = forms.TypedChoiceField(
        choices=[*ANY, *Severity.choices], coerce=int, empty_value=None, required=False
    )
    model = forms.ChoiceField(required=False)
    drills = forms.ChoiceField(choices=DRILL_CHOICES, required=False, label="Drills")

    def __init__(self, *args: Any, models: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["model"]).choices = [("", "Any")] + models

    def reversed_range(self) -> bool:
        """An end before the start matches nothing, as in the API (which cannot refuse it: see docs/metrics.md)."""
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return isinstance(start, date) and isinstance(end, date) and start > end

    def filters(self) -> metrics.Filters:
        data = self.cleaned_data
        return metrics.Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            severity=data.get("severity"),
            model=data.get("model") or None,
            drills=data.get("drills") or "separate",
        )


def _require_reader(request: HttpRequest) -> None:
    if not permissions.can_read_incidents(request.user):
        raise PermissionDenied(
            "Communication metrics are for responders, commanders and executives."
        )


def _form(request: HttpRequest) -> tuple[MetricsFilterForm, dict[str, str]]:
    names = dict(MonitoredModel.objects.order_by("name").values_list("slug", "name"))
    form = MetricsFilterForm(request.GET or None, models=list(names.items()), auto_id="metrics_%s")
    return form, names


@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Show the metrics of real incidents and, apart, of drills; 400 with the form's errors on bad filters."""
    _require_reader(request)
    form, names = _form(request)
    if form.is_bound and not form.is_valid():
        return render(request, "learning/metrics.html", {"form": form, "invalid": True}, status=400)
    rep = metrics.report(form.filters() if form.is_bound else metrics.Filters())
    sections = []
    for key, title, section in (
        ("real", "Real incidents", rep.real),
        ("drill", "Drills", rep.drills),
    ):
        if section is None:
            continue
        tables = present.section_tables(section, names)
        count, shown = len(section.incidents), len(tables.incidents)
        sections.append(
            {
                "key": key,
                "title": title,
                "is_drill": section.is_drill,
                "count": count,
                "tables": tables,
                "regulatory": section.regulatory,
                "incidents_caption": (
                    "Per incident, newest first"
                    if shown == count
                    else f"Per incident: the {shown} most recent of {count} (the CSV has them all)"
                ),
                "charts": charts.month_charts(section, prefix=f"metrics-{key}")
                if section.incidents
                else [],
            }
        )
    return render(
        request,
        "learning/metrics.html",
        {
            "form": form,
            "reversed_range": form.is_bound and form.reversed_range(),
            "sections": sections,
            "query": request.GET.urlencode(),
            "has_charts": any(s["charts"] for s in sections),
        },
    )


@require_safe
@login_required
def export_csv(request: HttpRequest) -> HttpResponse:
    """The page's numbers as CSV: per section, the groups and then each incident."""
    _require_reader(request)
    form, _ = _form(request)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(
            f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in form.errors.items()
        )
        return HttpResponse(
            f"Invalid filters. {errors}\n", status=400, content_type="text/plain; charset=utf-8"
        )
    rep = metrics.report(form.filters() if form.is_bound else metrics.Filters())
    response = HttpResponse(present.csv_text(rep), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="communication-metrics.csv"'
    return response
