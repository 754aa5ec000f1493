"""Writes on the incident page: POST, call one service, redirect (or show the errors).

Each view checks access first (executives, regulator viewers and outsiders
get 403 whatever they post), then lets the service decide; the service's
refusals come back as field errors on the same page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from comms import cadence, workflows
from comms.models import Deadline
from console.incident_forms import (
    DecisionRequestForm,
    MilestoneForm,
    NoteForm,
    RoleForm,
    SeverityForm,
)
from console.pages.incident_detail import (
    Viewer,
    countdowns,
    decision_entries,
    decision_form,
    next_phases,
    open_requests_of,
    release_form,
    render_detail,
    snooze_form,
)
from incidents import decisions, services
from incidents.models import Incident, RoleAssignment
from incidents.page_access import require_writer
from kit.errors import Conflict
from kit.pages import run_action
from kit.users import signed_in_user


def finish(
    request: HttpRequest,
    pk: int,
    name: str,
    form: forms.Form,
    action: Callable[[dict[str, Any]], Any],
    anchor: str = "log-end",
) -> HttpResponse:
    """Run the action; redirect to the page on success, else show the page with this form's errors."""
    _, status = run_action(form, action)
    if status == 200:
        return redirect(reverse("incidents:detail", args=[pk]) + f"#{anchor}")
    return render_detail(request, pk, bound={name: form}, status=status)


def _viewer(request: HttpRequest, incident: Incident) -> Viewer:
    return Viewer.of(
        request, incident, list(RoleAssignment.objects.active().filter(incident=incident))
    )


@login_required
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    return finish(
        request,
        pk,
        "note",
        NoteForm(request.POST, prefix="note"),
        lambda d: decisions.add_note(incident=incident, by=signed_in_user(request), text=d["text"]),
    )


@login_required
@require_POST
def record_decision(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    viewer = _viewer(request, incident)
    if not viewer.decision_types():
        raise PermissionDenied("None of your roles on this incident carries a decision right.")
    open_requests = open_requests_of(decision_entries(incident))
    form = decision_form(viewer, open_requests, request.POST)

    def action(d: dict[str, Any]) -> None:
        settles = next((e for e in open_requests if e.sequence == d["settles"]), None)
        decisions.record_decision(
            incident=incident,
            by=signed_in_user(request),
            decision_type=d["decision_type"],
            decision=d["decision"],
            rationale=d["rationale"],
            options_considered=form.options(),
            reversible=d["reversible"],
            approved_by=d["approved_by"],
            settles=settles,
        )

    return finish(request, pk, "decision", form, action)


@login_required
@require_POST
def request_decision(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = DecisionRequestForm(request.POST, prefix="request")
    return finish(
        request,
        pk,
        "request",
        form,
        lambda d: decisions.request_decision(
            incident=incident,
            by=signed_in_user(request),
            decision_type=d["decision_type"],
            question=d["question"],
        ),
        anchor="open-h",
    )


@login_required
@require_POST
def reach_milestone(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = MilestoneForm(request.POST, prefix="milestone", phases=next_phases(incident))
    return finish(
        request,
        pk,
        "milestone",
        form,
        lambda d: workflows.reach_milestone(
            incident=incident,
            phase=d["phase"],
            indicator=d["indicator"],
            by=signed_in_user(request),
        ),
    )


@login_required
@require_POST
def change_severity(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = SeverityForm(request.POST, prefix="severity")
    return finish(
        request,
        pk,
        "severity",
        form,
        lambda d: workflows.change_severity(
            incident=incident,
            severity=d["severity"],
            by=signed_in_user(request),
            reason=d["reason"],
        ),
        anchor="main",
    )


@login_required
@require_POST
def assign_role(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = RoleForm(request.POST, prefix="role")
    return finish(
        request,
        pk,
        "role",
        form,
        lambda d: services.assign_role(
            incident=incident,
            role=d["role"],
            user=d["user"],
            by=signed_in_user(request),
            note=d["note"],
        ),
        anchor="roster-h",
    )


@login_required
@require_POST
def release_role(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = release_form(_viewer(request, incident), request.POST)
    return finish(
        request,
        pk,
        "release",
        form,
        lambda d: services.release_role(
            incident=incident, role=d["role"], by=signed_in_user(request), note=d["note"]
        ),
        anchor="roster-h",
    )


@login_required
@require_POST
def snooze(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = snooze_form(countdowns(incident, now=timezone.now()), request.POST)

    def action(d: dict[str, Any]) -> Deadline:
        deadline = Deadline.objects.open().filter(incident=incident, audience=d["audience"]).first()
        if deadline is None:
            raise Conflict("That deadline has just closed.", field="audience")
        return cadence.snooze(
            deadline=deadline, by=signed_in_user(request), minutes=d["minutes"], reason=d["reason"]
        )

    return finish(request, pk, "snooze", form, action, anchor="cadence-h")
