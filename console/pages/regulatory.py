"""The incident's regulatory obligations: triage, moments, countdowns, and each report's page.

Readers of the incident see the countdowns; its regulator liaison and commander
answer the regimes' questions, record moments, draft, sign off and submit
(regulatory.services decides; its refusals come back as field errors).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from incidents import rights
from incidents.models import Incident
from incidents.page_access import require_reader, require_writer
from kit.pages import run_action
from kit.users import signed_in_user
from regulatory import regimes, services
from regulatory.models import Obligation, RegulatoryReport

YES_NO = [("yes", "Yes"), ("no", "No")]


class TriageForm(forms.Form):
    """One regime's questions, each yes or no."""

    def __init__(
        self,
        regime: regimes.Regime,
        *args: Any,
        answers: dict[str, bool] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs["prefix"] = regime.slug
        super().__init__(*args, **kwargs)
        self.regime = regime
        for question in regime.questions:
            initial = None if answers is None else ("yes" if answers.get(question.key) else "no")
            self.fields[question.key] = forms.ChoiceField(
                label=question.text,
                help_text=question.cite,
                choices=YES_NO,
                widget=forms.RadioSelect,
                initial=initial,
            )

    def field_for_domain_error(self, field: str | None) -> str | None:
        return (field or "").removeprefix("answers.") or None


class MomentForm(forms.Form):
    name = forms.ChoiceField(label="Moment", choices=regimes.MOMENT_CHOICES)
    at = forms.DateTimeField(
        label="When (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(label="Note", max_length=300, required=False)

    def clean_at(self) -> datetime:
        at: datetime = self.cleaned_data["at"]
        return at if timezone.is_aware(at) else at.replace(tzinfo=UTC)


class SubmitForm(forms.Form):
    channel = forms.CharField(
        label="Submitted via", max_length=200, help_text="The authority's portal, an address …"
    )
    authority_reference = forms.CharField(
        label="Authority's reference", max_length=200, required=False
    )


def report_form(report: RegulatoryReport, data: Any = None) -> forms.Form:
    regime = regimes.get(report.obligation.regime)
    spec = regime.report(report.obligation.report) if regime else None
    form = forms.Form(data, prefix="report")
    for field in spec.fields if spec else ():
        form.fields[field.key] = forms.CharField(
            label=field.label,
            required=False,
            max_length=services.MAX_FIELD,
            initial=report.fields.get(field.key, ""),
            widget=forms.Textarea(attrs={"rows": 4}),
        )
    form.field_for_domain_error = lambda name: (name or "").removeprefix("content.") or None  # type: ignore[attr-defined]
    return form


def _incident(pk: int) -> Incident:
    return get_object_or_404(Incident, pk=pk)


def _context(request: HttpRequest, incident: Incident, **bound: Any) -> dict[str, Any]:
    state = services.triage_state(incident)
    answers = {r["slug"]: r["answers"] for r in state["regimes"]}
    may = rights.may_handle_regulatory(signed_in_user(request), incident)
    triage_forms = [
        bound.get(f"triage:{r.slug}") or TriageForm(r, answers=answers.get(r.slug))
        for r in regimes.all_regimes().values()
    ]
    return {
        "incident": incident,
        "state": state,
        "obligations": services.obligations_for(incident),
        "may_handle": may,
        "triage_forms": list(zip(triage_forms, state["regimes"], strict=True)),
        "moment_form": bound.get("moment")
        or MomentForm(initial={"at": timezone.now().strftime("%Y-%m-%dT%H:%M")}),
    }


def _page(
    request: HttpRequest, incident: Incident, status: int = 200, **bound: Any
) -> HttpResponse:
    return render(
        request, "incidents/regulatory.html", _context(request, incident, **bound), status=status
    )


@require_safe
@login_required
def obligations_page(request: HttpRequest, pk: int) -> HttpResponse:
    require_reader(request)
    return _page(request, _incident(pk))


@login_required
@require_POST
def triage(request: HttpRequest, pk: int, regime: str) -> HttpResponse:
    require_writer(request)
    incident = _incident(pk)
    found = regimes.get(regime)
    if found is None:
        return _page(request, incident, status=404)
    form = TriageForm(found, request.POST)

    def act(data: dict[str, Any]) -> Any:
        answers = {key: value == "yes" for key, value in data.items()}
        return services.triage(
            incident=incident, by=signed_in_user(request), regime=found.slug, answers=answers
        )

    _, status = run_action(form, act)
    if status == 200:
        return redirect(reverse("incidents:regulatory", args=[pk]) + "#obligations")
    return _page(request, incident, status=status, **{f"triage:{found.slug}": form})


@login_required
@require_POST
def record_moment(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = _incident(pk)
    form = MomentForm(request.POST)

    def act(data: dict[str, Any]) -> Any:
        return services.record_moment(incident=incident, by=signed_in_user(request), **data)

    _, status = run_action(form, act)
    if status == 200:
        return redirect(reverse("incidents:regulatory", args=[pk]) + "#obligations")
    return _page(request, incident, status=status, moment=form)


# --- One report ------------------------------------------------------------------------------


def _obligation(pk: int, oid: int) -> Obligation:
    return get_object_or_404(Obligation.objects.select_related("incident"), pk=oid, incident_id=pk)


def _report_page(
    request: HttpRequest, obligation: Obligation, status: int = 200, **bound: Any
) -> HttpResponse:
    report = services.report_of(obligation)
    incident = obligation.incident
    row = next(o for o in services.obligations_for(incident) if o["id"] == obligation.pk)
    context = {
        "incident": incident,
        "obligation": row,
        "report": report,
        "may_handle": rights.may_handle_regulatory(signed_in_user(request), incident),
        "form": bound.get("report") or report_form(report),
        "submit_form": bound.get("submit") or SubmitForm(),
        "action_error": bound.get("error"),
        "api": f"/api/v1/incidents/{incident.pk}/obligations/{obligation.pk}/report/",
    }
    return render(request, "incidents/regulatory_report.html", context, status=status)


@require_safe
@login_required
def report_page(request: HttpRequest, pk: int, oid: int) -> HttpResponse:
    require_reader(request)
    return _report_page(request, _obligation(pk, oid))


def _after(
    request: HttpRequest, obligation: Obligation, name: str, form: forms.Form, act: Any
) -> HttpResponse:
    _, status = run_action(form, act)
    if status == 200:
        return redirect(
            reverse("incidents:regulatory_report", args=[obligation.incident_id, obligation.pk])
        )
    return _report_page(request, obligation, status=status, **{name: form})


@login_required
@require_POST
def save_report(request: HttpRequest, pk: int, oid: int) -> HttpResponse:
    require_writer(request)
    obligation = _obligation(pk, oid)
    form = report_form(services.report_of(obligation), request.POST)
    return _after(
        request,
        obligation,
        "report",
        form,
        lambda data: services.edit_report(
            obligation=obligation, by=signed_in_user(request), fields=data
        ),
    )


@login_required
@require_POST
def sign_off_report(request: HttpRequest, pk: int, oid: int) -> HttpResponse:
    require_writer(request)
    obligation = _obligation(pk, oid)
    form = forms.Form(request.POST)
    return _after(
        request,
        obligation,
        "error",
        form,
        lambda data: services.sign_off_report(obligation=obligation, by=signed_in_user(request)),
    )


@login_required
@require_POST
def submit_report(request: HttpRequest, pk: int, oid: int) -> HttpResponse:
    require_writer(request)
    obligation = _obligation(pk, oid)
    form = SubmitForm(request.POST)
    return _after(
        request,
        obligation,
        "submit",
        form,
        lambda data: services.submit_report(
            obligation=obligation, by=signed_in_user(request), **data
        ),
    )
