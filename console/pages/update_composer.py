"""The update composer: drafts, the inline jargon check, sign-off and publishing.

Nothing here decides: comms.services owns the rules (who publishes, sign-off
before a regulator rendition goes out, the jargon acknowledgement, the
customer-notice approval). Views map its refusals onto form errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from comms import services as comms
from comms.models import StatusUpdate
from console.incident_forms import PublishForm, UpdateForm
from console.pages.composer_preview import composer_audiences, jargon_report
from console.pages.incident_actions import _viewer, finish
from console.pages.incident_detail import render_detail, role_holders
from incidents.choices import Audience
from incidents.models import Incident
from incidents.page_access import require_writer
from kit.errors import DomainError
from kit.pages import run_action
from kit.users import signed_in_user

# --- The inline jargon check -------------------------------------------------------------------


@login_required
@require_POST
def jargon_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the composer as the user types: the rendition previewed, its jargon flagged."""
    require_writer(request)
    get_object_or_404(Incident, pk=pk)
    audience = request.GET.get("audience", "")
    if audience not in Audience.values:
        return HttpResponseBadRequest("Unknown audience.")
    prefix = request.POST.get("prefix", "update")
    summary = request.POST.get(f"{prefix}-{audience}_summary", "")
    body = request.POST.get(f"{prefix}-{audience}_body", "")
    return render(
        request,
        "incidents/includes/jargon.html",
        {"report": jargon_report(audience, summary, body)},
    )


# --- Drafts ----------------------------------------------------------------------------------------


def _published_numbers(incident: Incident) -> list[int]:
    return list(
        incident.updates.filter(status=StatusUpdate.Status.PUBLISHED)
        .order_by("number")
        .values_list("number", flat=True)
    )


def _save_action(
    request: HttpRequest, incident: Incident, form: UpdateForm, update: StatusUpdate | None
):
    def action(d: dict[str, Any]) -> StatusUpdate:
        if update is not None:
            return comms.edit_draft(
                update=update,
                by=signed_in_user(request),
                renditions=form.renditions(),
                **form.fields_for_service(),
            )
        corrects = None
        if d.get("corrects"):
            corrects = incident.updates.filter(number=d["corrects"]).first()
            if corrects is None:
                raise DomainError(
                    "corrects must name a published update of this incident.", field="corrects"
                )
        return comms.create_draft(
            incident=incident,
            by=signed_in_user(request),
            renditions=form.renditions(),
            corrects=corrects,
            **form.fields_for_service(),
        )

    return action


@login_required
@require_POST
def create_update(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=pk)
    form = UpdateForm(request.POST, prefix="update", published=_published_numbers(incident))
    return finish(
        request, pk, "update", form, _save_action(request, incident, form, None), anchor="drafts-h"
    )


def _update_of(pk: int, number: int) -> tuple[Incident, StatusUpdate]:
    update = get_object_or_404(
        StatusUpdate.objects.select_related("incident", "corrects").prefetch_related("renditions"),
        incident_id=pk,
        number=number,
    )
    return update.incident, update


@login_required
def edit_update(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Edit a draft on its own page; a published update is immutable (409)."""
    require_writer(request)
    incident, update = _update_of(pk, number)
    published = _published_numbers(incident)
    if update.is_published:
        return render(
            request,
            "incidents/update_edit.html",
            {"incident": incident, "update": update, "form": None},
            status=409,
        )
    status = 200
    if request.method == "POST":
        form = UpdateForm(request.POST, prefix="update", published=published)
        _, status = run_action(form, _save_action(request, incident, form, update))
        if status == 200:
            return redirect(reverse("incidents:detail", args=[pk]) + "#drafts-h")
    else:
        form = UpdateForm(
            prefix="update", published=published, initial=UpdateForm.initial_for(update)
        )
    return render(
        request,
        "incidents/update_edit.html",
        {
            "incident": incident,
            "update": update,
            "form": form,
            "audiences": composer_audiences(form),
        },
        status=status,
    )


def _step(request: HttpRequest, pk: int, number: int, step: Any) -> HttpResponse:
    """Run a one-button step on a draft; refusals show on that draft's row."""
    require_writer(request)
    _, update = _update_of(pk, number)
    form = PublishForm(request.POST, prefix=f"publish-{number}")
    _, status = run_action(form, lambda d: step(update))
    if status == 200:
        return redirect(reverse("incidents:detail", args=[pk]) + f"#update-{number}")
    return render_detail(request, pk, bound={f"publish-{number}": form}, status=status)


@login_required
@require_POST
def submit_update(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _step(
        request,
        pk,
        number,
        lambda u: comms.submit_for_signoff(update=u, by=signed_in_user(request)),
    )


@login_required
@require_POST
def sign_off_update(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    return _step(
        request, pk, number, lambda u: comms.sign_off(update=u, by=signed_in_user(request))
    )


@login_required
@require_POST
def publish_update(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    require_writer(request)
    incident, update = _update_of(pk, number)
    form = PublishForm(
        request.POST, prefix=f"publish-{number}", approvers=role_holders(_viewer(request, incident))
    )
    return finish(
        request,
        pk,
        f"publish-{number}",
        form,
        lambda d: comms.publish_update(
            update=update,
            by=signed_in_user(request),
            acknowledge_jargon=d["acknowledge_jargon"],
            approved_by=d["approved_by"],
        ),
        anchor=f"update-{number}",
    )
