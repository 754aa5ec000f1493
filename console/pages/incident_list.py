"""The incident list (filters, search, counts) and declaring an incident."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRedirect

from comms import workflows
from console.incident_forms import DeclareIncidentForm, IncidentFilterForm
from incidents import permissions
from incidents.choices import Phase, Role, Severity
from incidents.models import AffectedModel, Incident, RoleAssignment
from incidents.page_access import require_reader
from kit.pages import is_htmx, run_action
from kit.users import signed_in_user

PAGE_SIZE = 50


def _models_prefetch() -> Prefetch:
    return Prefetch(
        "affected_links",
        queryset=AffectedModel.objects.select_related("model").order_by("model__name"),
    )


def _counts(incidents: QuerySet[Incident]) -> dict[str, list[dict[str, Any]]]:
    """Count the filtered incidents per phase and per severity, in one query."""
    aggregates = {f"phase_{p}": Count("pk", filter=Q(phase=p)) for p in Phase.values}
    aggregates |= {f"sev_{s}": Count("pk", filter=Q(severity=s)) for s in Severity.values}
    totals = incidents.order_by().aggregate(**aggregates)
    return {
        "phases": [
            {"value": p, "label": label, "n": totals[f"phase_{p}"]} for p, label in Phase.choices
        ],
        "severities": [
            {"value": s, "label": f"SEV{s}", "n": totals[f"sev_{s}"]} for s in Severity.values
        ],
    }


@require_safe
@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    require_reader(request)
    form = IncidentFilterForm(request.GET or None, auto_id="filter_%s")
    incidents: QuerySet[Incident] = Incident.objects.all()
    status = 200
    if form.is_bound and not form.is_valid():
        incidents, status = Incident.objects.none(), 400
    elif form.is_bound:
        incidents = form.filter(incidents, request.user)
    page = Paginator(
        incidents.prefetch_related(
            _models_prefetch(),
            Prefetch(
                "roles",
                queryset=RoleAssignment.objects.active()
                .filter(role=Role.COMMANDER)
                .select_related("user"),
                to_attr="commanders",
            ),
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {
        "form": form,
        "page": page,
        "invalid": status != 200,
        "query": query.urlencode(),
        "counts": _counts(incidents) if status == 200 else None,
    }
    # The filter form asks for the results fragment only; a normal visit gets the page.
    template = "incidents/list.html#results" if is_htmx(request) else "incidents/list.html"
    response = render(request, template, ctx, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def declare(request: HttpRequest) -> HttpResponse:
    """Declare an incident: a full page without JavaScript, the dialog's fragment with htmx."""
    require_reader(request)
    if not permissions.is_commander_eligible(request.user):
        raise PermissionDenied("Only commander-eligible users may declare incidents.")
    form = DeclareIncidentForm(request.POST or None)
    status = 200
    if request.method == "POST":

        def action(data: dict[str, Any]) -> Incident:
            data = dict(data)
            return workflows.declare_incident(
                by=signed_in_user(request), models=[(m, "") for m in data.pop("models")], **data
            )

        incident, status = run_action(form, action)
        if incident is not None:
            if is_htmx(request):
                return HttpResponseClientRedirect(incident.get_absolute_url())
            return redirect(incident)
    template = (
        "incidents/declare.html#declare-form" if is_htmx(request) else "incidents/declare.html"
    )
    response = render(request, template, {"form": form}, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
