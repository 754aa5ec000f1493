"""Scheduled maintenance pages: the list for incident readers, the forms for commanders.

Every mutation is a POST then a redirect; with htmx a step answers with the
window's own card (`maintenance.html#maintenance-card`), so the list stays put.
Permissions are checked on every request, fragment or not: readers read,
commanders (and admins) schedule and run windows (publicstatus.maintenance).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from incidents.models import MonitoredModel
from incidents.page_access import require_reader
from kit.pages import is_htmx, require, run_action
from kit.users import signed_in_user
from publicstatus import maintenance as services
from publicstatus.models import Maintenance

MANAGER_MESSAGE = "Only commanders may schedule and run maintenance."


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=200)
    body = forms.CharField(
        required=False,
        max_length=5000,
        label="What customers read",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    scheduled_for = forms.DateTimeField(
        label="Starts (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    scheduled_until = forms.DateTimeField(
        label="Ends (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    components = forms.ModelMultipleChoiceField(
        queryset=MonitoredModel.objects.none(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    impact = forms.ChoiceField(choices=Maintenance.Impact.choices, initial="maintenance")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelMultipleChoiceField, self.fields["components"]
        ).queryset = MonitoredModel.objects.filter(is_active=True, is_drill=False)


class StepForm(forms.Form):
    step = forms.ChoiceField(choices=[(s, s) for s in services.STEPS])
    body = forms.CharField(required=False, max_length=5000, label="Message (optional)")


def _windows() -> list[Maintenance]:
    return list(
        Maintenance.objects.prefetch_related("components").order_by("-scheduled_for", "-pk")[:100]
    )


def _render(
    request: HttpRequest,
    *,
    form: ScheduleForm | None = None,
    status: int = 200,
    step_form: StepForm | None = None,
    failed_pk: int | None = None,
) -> HttpResponse:
    manager = services.can_manage(request.user)
    return render(
        request,
        "publicstatus/maintenance.html",
        {
            "windows": _windows(),
            "form": (form or ScheduleForm()) if manager else None,
            "manager": manager,
            "step_errors": step_form.errors if step_form is not None else None,
            "failed_pk": failed_pk,
        },
        status=status,
    )


@require_safe
@login_required
def maintenance_list(request: HttpRequest) -> HttpResponse:
    """List maintenance windows, drafts included; commanders also get the forms."""
    require_reader(request)
    return _render(request)


@require_POST
@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    """Schedule a window as a private draft."""
    require_reader(request)
    require(request, services.can_manage, MANAGER_MESSAGE)
    form = ScheduleForm(request.POST)
    by = signed_in_user(request)

    def act(data: dict[str, Any]) -> Maintenance:
        return services.schedule_maintenance(
            by=by,
            name=data["name"],
            body=data["body"],
            scheduled_for=data["scheduled_for"],
            scheduled_until=data["scheduled_until"],
            components=[m.slug for m in data["components"]],
            impact=data["impact"],
        )

    created, status = run_action(form, act)
    if status != 200:
        return _render(request, form=form, status=status)
    return redirect(reverse("maintenance:list") + f"#mnt-{created.pk}")


@require_POST
@login_required
def step(request: HttpRequest, pk: int) -> HttpResponse:
    """Announce, start, complete or cancel a window."""
    require_reader(request)
    require(request, services.can_manage, MANAGER_MESSAGE)
    maintenance = get_object_or_404(Maintenance, pk=pk)
    form = StepForm(request.POST)
    by = signed_in_user(request)
    _, status = run_action(
        form,
        lambda data: services.STEPS[data["step"]](maintenance, by=by, body=data["body"]),
    )
    if is_htmx(request):
        window = Maintenance.objects.prefetch_related("components").get(pk=pk)
        response = render(
            request,
            "publicstatus/maintenance.html#maintenance-card",
            {
                "m": window,
                "manager": True,
                "step_errors": form.errors if status != 200 else None,
                "failed_pk": pk,
            },
            status=status,
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    if status != 200:
        return _render(request, status=status, step_form=form, failed_pk=pk)
    return redirect(reverse("maintenance:list") + f"#mnt-{pk}")
