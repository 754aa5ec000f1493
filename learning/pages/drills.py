"""Drill pages: the scenario library and past drills, starting a drill, its progress, its debrief.

Incident readers (responders, commanders, executives, admins) read;
commander-eligible users start, end and abort drills and record
improvements. Every mutation is a POST then a redirect; the progress panel
refreshes itself with a small htmx poll while the drill runs.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe

from incidents import permissions
from incidents.choices import GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_RESPONDER
from incidents.page_access import require_reader
from kit.errors import Conflict, NotPermitted
from kit.pages import is_htmx, run_action
from kit.users import signed_in_user
from learning.drills import library, runs
from learning.models import ActionItem, Drill

POLL_SECONDS = 2


class StartDrillForm(forms.Form):
    scenario = forms.ChoiceField(choices=())
    clock_factor = forms.IntegerField(
        min_value=runs.MIN_FACTOR,
        max_value=runs.MAX_FACTOR,
        initial=60,
        label="Clock factor",
        help_text=f"Drill minutes per wall minute ({runs.MIN_FACTOR}–{runs.MAX_FACTOR}); "
        "at 60 a 30-minute scenario runs in 30 seconds.",
    )
    suppress_external = forms.BooleanField(
        required=False,
        label="Suppress external notifications",
        help_text="Send nothing to e-mail, Slack, webhooks or Apprise; otherwise only subscriptions that "
        "include drills get messages, marked [DRILL].",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scenario"]).choices = [
            (s.slug, s.title) for s in library.scenarios().values()
        ]


class ImprovementForm(forms.Form):
    title = forms.CharField(max_length=200)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), to_field_name="username")
    due_at = forms.DateTimeField(
        label="Due (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    expected_outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(choices=ActionItem.Category.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = [GROUP_RESPONDER, GROUP_COMMANDER, GROUP_EXECUTIVE]
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = (
            User.objects.filter(is_active=True)
            .filter(Q(groups__name__in=groups) | Q(is_superuser=True))
            .distinct()
            .order_by("username")
        )


def _drills_with_counts() -> QuerySet[Drill]:
    return Drill.objects.select_related("incident", "started_by").annotate(
        steps_total=Count("steps"),
        steps_applied=Count("steps", filter=Q(steps__applied_at__isnull=False)),
    )


def _require_runner(request: HttpRequest) -> None:
    require_reader(request)
    if not permissions.is_commander_eligible(request.user):
        raise PermissionDenied("Only commander-eligible users may run drills.")


@require_safe
@login_required
def drill_list(request: HttpRequest) -> HttpResponse:
    require_reader(request)
    ctx = {
        "scenarios": list(library.scenarios().values()),
        "drills": _drills_with_counts().order_by("-started_at", "-pk")[:100],
        "form": StartDrillForm() if permissions.is_commander_eligible(request.user) else None,
    }
    return render(request, "learning/drill_list.html", ctx)


@require_POST
@login_required
def start(request: HttpRequest) -> HttpResponse:
    _require_runner(request)
    form = StartDrillForm(request.POST)
    drill, status = run_action(
        form, lambda data: runs.start_drill(by=signed_in_user(request), **data)
    )
    if drill is not None:
        return redirect("drills:detail", drill.pk)
    ctx = {
        "scenarios": list(library.scenarios().values()),
        "drills": _drills_with_counts().order_by("-started_at", "-pk")[:100],
        "form": form,
    }
    return render(request, "learning/drill_list.html", ctx, status=status)


def _progress(drill: Drill) -> dict[str, Any]:
    now = timezone.now()
    steps = list(drill.steps.order_by("index"))
    return {
        "drill": drill,
        "steps": steps,
        "applied": sum(1 for s in steps if s.applied_at),
        "upcoming": [s for s in steps if not s.applied_at and s.kind != "metric"][:5],
        "drill_minutes": runs.drill_now(drill, now).total_seconds() / 60,
        "poll_seconds": POLL_SECONDS,
    }


@require_safe
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_reader(request)
    drill = get_object_or_404(Drill.objects.select_related("incident", "started_by"), pk=pk)
    ctx = _progress(drill) | {"can_run": permissions.is_commander_eligible(request.user)}
    template = (
        "learning/drill_detail.html#progress" if is_htmx(request) else "learning/drill_detail.html"
    )
    response = render(request, template, ctx)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@login_required
def end(request: HttpRequest, pk: int, abort: bool = False) -> HttpResponse:
    _require_runner(request)
    drill = get_object_or_404(Drill, pk=pk)
    try:
        (runs.abort_drill if abort else runs.end_drill)(drill=drill, by=signed_in_user(request))
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except Conflict:
        pass  # ended meanwhile (its END step, or another tab): the debrief is there either way
    return redirect("drills:debrief", drill.pk)


@login_required
def debrief(request: HttpRequest, pk: int) -> HttpResponse:
    """The debrief; commander-eligible users record improvements here (POST)."""
    require_reader(request)
    drill = get_object_or_404(Drill.objects.select_related("incident", "started_by"), pk=pk)
    can_run = permissions.is_commander_eligible(request.user)
    form = ImprovementForm() if can_run else None
    status = 200
    if request.method == "POST":
        _require_runner(request)
        form = ImprovementForm(request.POST)
        item, status = run_action(
            form,
            lambda data: runs.add_improvement(drill=drill, by=signed_in_user(request), **data),
        )
        if item is not None:
            return redirect("drills:debrief", drill.pk)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    ctx = {
        "drill": drill,
        "d": drill.debrief,
        "form": form,
        "can_run": can_run,
        "improvements": ActionItem.objects.filter(drill=drill)
        .select_related("owner")
        .order_by("due_at", "pk"),
    }
    return render(request, "learning/drill_debrief.html", ctx, status=status)
