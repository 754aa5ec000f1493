"""Server-rendered incident pages; every mutation is POST then redirect.

Views parse input, call one service and render. Access is checked here on
every request (pages hide controls too, but the server is what refuses).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from comms import workflows
from incidents import permissions, services
from incidents.choices import DecisionType, EntryKind, Phase, Role
from incidents.errors import DomainError, NotPermitted
from console.incident_forms import (
    DeclareIncidentForm,
    DecisionForm,
    IncidentFilterForm,
    MilestoneForm,
    NoteForm,
    RoleForm,
    add_domain_error,
)
from incidents.models import AffectedModel, DecisionLogEntry, Incident, Playbook, RoleAssignment, decision_rights_for

PAGE_SIZE = 50
# Decisions with their own action (and log entry kind) are not offered as free decisions.
OWN_ACTION_DECISIONS = {DecisionType.CHANGE_SEVERITY, DecisionType.REACH_MILESTONE}


def _require_reader(request: HttpRequest) -> None:
    if not permissions.can_read_incidents(request.user):
        raise PermissionDenied("Incident pages are for responders, commanders and executives.")


def _require_writer(request: HttpRequest) -> None:
    _require_reader(request)
    if not permissions.can_respond(request.user):
        raise PermissionDenied("Only responders and commanders may change incidents.")


def _models_prefetch() -> Prefetch:
    return Prefetch("affected_links", queryset=AffectedModel.objects.select_related("model").order_by("model__name"))


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    form = IncidentFilterForm(request.GET or None)
    incidents = Incident.objects.prefetch_related(
        _models_prefetch(),
        Prefetch(
            "roles",
            queryset=RoleAssignment.objects.active().filter(role=Role.COMMANDER).select_related("user"),
            to_attr="commanders",
        ),
    )
    if form.is_bound:
        if not form.is_valid():
            return render(request, "incidents/list.html", {"form": form, "page": None}, status=400)
        incidents = form.filter(incidents)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "incidents/list.html", {"form": form, "page": page, "query": query.urlencode()})


@login_required
def declare(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    if not permissions.is_commander_eligible(request.user):
        raise PermissionDenied("Only commander-eligible users may declare incidents.")
    form = DeclareIncidentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = workflows.declare_incident(
                    by=request.user,
                    models=[(m, "") for m in data.pop("models")],
                    **data,
                )
            except NotPermitted as exc:
                raise PermissionDenied(exc.message) from exc
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                return redirect(incident)
    return render(request, "incidents/declare.html", {"form": form}, status=status)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_reader(request)
    return _render_detail(request, pk)


def _render_detail(request: HttpRequest, pk: int, *, bound: dict[str, forms.Form] | None = None,
                   status: int = 200) -> HttpResponse:
    """Render the incident page; `bound` replaces blank forms with ones carrying errors."""
    incident = get_object_or_404(
        Incident.objects.prefetch_related(
            _models_prefetch(),
            Prefetch("roles", queryset=RoleAssignment.objects.select_related("user", "assigned_by")
                     .order_by("role", "started_at", "pk")),
            "milestones",
        ),
        pk=pk,
    )
    entries = list(incident.log_entries.order_by("sequence"))
    by_id = {e.pk: e for e in entries}
    for e in entries:
        e.corrected = by_id.get(e.corrects_id)
        e.correction_list = []
        e.role_label = _label(Role, e.actor_role)
        e.decision_label = _label(DecisionType, e.data.get("decision_type", "")) if isinstance(e.data, dict) else ""
    for e in entries:
        if e.corrected is not None:
            e.corrected.correction_list.append(e)
    open_requests = _open_requests(entries)

    roles = list(incident.roles.all())
    current = {r.role: r for r in roles if r.is_active}
    roster = [(value, label, current.get(value), [r for r in roles if r.role == value and not r.is_active])
              for value, label in Role.choices]
    held = {r.role for r in current.values() if r.user_id == request.user.pk}
    playbook = Playbook.for_incident(incident)
    ctx: dict[str, Any] = {
        "incident": incident,
        "entries": entries,
        "open_requests": open_requests,
        "roster": roster,
        "held": [Role(r).label for r in sorted(held)],
        "playbook": playbook,
        "forms": {},
    }
    if permissions.can_respond(request.user):
        ctx["forms"] = _write_forms(request, incident, held, playbook, open_requests, current)
        ctx["forms"].update(bound or {})
    return render(request, "incidents/detail.html", ctx, status=status)


def _label(choices: type[Role] | type[DecisionType], value: str) -> str:
    return choices(value).label if value in choices.values else value


def _open_requests(entries: Iterable[DecisionLogEntry]) -> list[DecisionLogEntry]:
    """Return the decision requests no decision has settled yet."""
    entries = list(entries)
    settled = {e.data.get("settles") for e in entries if e.kind == EntryKind.DECISION}
    return [e for e in entries if e.kind == EntryKind.DECISION_REQUEST and e.sequence not in settled]


def _write_forms(request: HttpRequest, incident: Incident, held: set[str], playbook: Playbook | None,
                 open_requests: list[DecisionLogEntry], current: dict[str, RoleAssignment]) -> dict[str, forms.Form]:
    """Return the blank forms the viewer's roles allow on this incident."""
    found: dict[str, forms.Form] = {"note": NoteForm(prefix="note")}
    if not incident.is_open:
        return found
    decisions = _decision_types(held, playbook)
    if decisions:
        found["decision"] = _decision_form(decisions, open_requests, current)
    if held & set(decision_rights_for(playbook, DecisionType.REACH_MILESTONE)):
        found["milestone"] = MilestoneForm(prefix="milestone", phases=_next_phases(incident))
    if permissions.is_commander_eligible(request.user) or Role.COMMANDER in held:
        found["role"] = RoleForm(prefix="role")
    return found


def _decision_types(held: set[str], playbook: Playbook | None) -> list[str]:
    return [d for d in DecisionType.values
            if d not in OWN_ACTION_DECISIONS and held & set(decision_rights_for(playbook, d))]


def _decision_form(decisions: list[str], open_requests: list[DecisionLogEntry],
                   current: dict[str, RoleAssignment], data: Any = None) -> DecisionForm:
    approvers = User.objects.filter(pk__in=[r.user_id for r in current.values()]).order_by("username")
    return DecisionForm(data, prefix="decision", decision_types=decisions, open_requests=open_requests,
                        approvers=approvers)


def _next_phases(incident: Incident) -> list[str]:
    later = [p for p in Phase.values if Phase.order(p) > Phase.order(incident.phase)]
    return [p for p in later if p != Phase.REVIEWED or incident.phase == Phase.RESOLVED]


def _mutate(request: HttpRequest, pk: int, name: str, form: forms.Form, action: Any) -> HttpResponse:
    """Validate `form`, run `action(cleaned_data)`; redirect, or re-render with the errors."""
    status = 400
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            return redirect(reverse("incidents:detail", args=[pk]) + "#log-end")
    return _render_detail(request, pk, bound={name: form}, status=status)


@login_required
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    _require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    return _mutate(request, pk, "note", NoteForm(request.POST, prefix="note"),
                   lambda d: services.add_note(incident=incident, by=request.user, text=d["text"]))


@login_required
@require_POST
def record_decision(request: HttpRequest, pk: int) -> HttpResponse:
    _require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    roles = list(RoleAssignment.objects.active().filter(incident=incident))
    held = {r.role for r in roles if r.user_id == request.user.pk}
    decisions = _decision_types(held, Playbook.for_incident(incident))
    if not decisions:
        raise PermissionDenied("None of your roles on this incident carries a decision right.")
    open_requests = _open_requests(
        incident.log_entries.filter(kind__in=[EntryKind.DECISION_REQUEST, EntryKind.DECISION]).order_by("sequence")
    )
    form = _decision_form(decisions, open_requests, {r.role: r for r in roles}, request.POST)

    def action(d: dict[str, Any]) -> None:
        settles = next((e for e in open_requests if e.sequence == d["settles"]), None)
        services.record_decision(
            incident=incident, by=request.user, decision_type=d["decision_type"], decision=d["decision"],
            rationale=d["rationale"], options_considered=form.options(), reversible=d["reversible"],
            approved_by=d["approved_by"], settles=settles,
        )

    return _mutate(request, pk, "decision", form, action)


@login_required
@require_POST
def reach_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    _require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = MilestoneForm(request.POST, prefix="milestone", phases=_next_phases(incident))
    return _mutate(request, pk, "milestone", form, lambda d: workflows.reach_milestone(
        incident=incident, phase=d["phase"], indicator=d["indicator"], by=request.user))


@login_required
@require_POST
def assign_role(request: HttpRequest, pk: int) -> HttpResponse:
    _require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = RoleForm(request.POST, prefix="role")
    return _mutate(request, pk, "role", form, lambda d: services.assign_role(
        incident=incident, role=d["role"], user=d["user"], by=request.user, note=d["note"]))
