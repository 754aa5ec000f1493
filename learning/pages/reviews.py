"""Review and action-item pages: read per audience, edit the draft, publish, addenda, export.

Every view checks access on the server first; services check again (who
leads, who signs off). Mutations are POST forms that redirect (no JS needed);
refusals come back as field errors on the same page with a 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from audit.middleware import mark_regulator_read
from incidents import permissions, rights
from incidents.choices import GROUP_REGULATOR, Role
from incidents.models import Incident
from kit.errors import DomainError, NotPermitted
from kit.pages import run_action
from kit.users import signed_in_user
from learning import actions
from learning.markdown import filename, to_markdown
from learning.models import ActionItem, Review
from learning.pages.review_forms import ActionItemForm, ActionStatusForm, AddendumForm, ReviewForm
from learning.reviews import renditions as review_renditions
from learning.reviews import rights as review_rights
from learning.reviews import services as review_services
from learning.reviews import vocabulary as review_vocabulary

LIST_LIMIT = 200


# --- Access and forms -----------------------------------------------------------------------


def require_review_reader(request: HttpRequest) -> None:
    user = request.user
    if not (
        permissions.can_read_incidents(user) or GROUP_REGULATOR in permissions.group_names(user)
    ):
        raise PermissionDenied(
            "Reviews are for responders, commanders, executives and regulator viewers."
        )


def require_writer(request: HttpRequest) -> None:
    if not permissions.can_respond(request.user):
        raise PermissionDenied("Only responders and commanders change reviews and action items.")


# --- Reading ---------------------------------------------------------------------------------


def _review_or_404(incident_id: int) -> Review | None:
    return (
        Review.objects.select_related("incident", "published_by", "regulator_signed_off_by")
        .filter(incident_id=incident_id)
        .first()
    )


def _audience(request: HttpRequest, review: Review) -> str:
    """Return the rendition asked for; 404 if the review is hidden from the user, 403 for a rendition they lack."""
    allowed = review_rights.audiences_for(signed_in_user(request), review)
    if not allowed:
        raise Http404("No such review.")
    audience = request.GET.get("audience") or allowed[0]
    if audience not in review_vocabulary.AUDIENCES:
        raise Http404("No such rendition.")
    if audience not in allowed:
        raise PermissionDenied("This rendition is not shown to you.")
    if audience == review_vocabulary.REGULATOR:
        mark_regulator_read(request)  # the audit trail records who read the disclosure
    return audience


@require_safe
@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    require_review_reader(request)
    listed = (
        review_rights.visible_reviews(signed_in_user(request))
        .select_related("incident")
        .defer("generated")
        .annotate(
            open_items=Count(
                "incident__action_items",
                filter=Q(incident__action_items__status__in=actions.OPEN_STATUSES),
            )
        )
        .order_by("-incident__resolved_at", "-pk")[:LIST_LIMIT]
    )
    unreviewed = []
    if permissions.is_commander_eligible(request.user):
        unreviewed = list(
            Incident.objects.filter(
                phase__in=review_vocabulary.REVIEWABLE_PHASES, review__isnull=True
            ).order_by("-resolved_at")[:LIST_LIMIT]
        )
    return render(
        request, "learning/review_list.html", {"reviews": list(listed), "unreviewed": unreviewed}
    )


def render_review(
    request: HttpRequest,
    incident_id: int,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    require_review_reader(request)
    review = _review_or_404(incident_id)
    if review is None:
        if not permissions.can_respond(request.user):
            raise Http404("No such review.")
        incident = get_object_or_404(Incident, pk=incident_id)
        return render(
            request,
            "learning/review_start.html",
            {
                "incident": incident,
                "may_start": review_rights.may_lead(signed_in_user(request), incident),
                "reviewable": incident.phase in review_vocabulary.REVIEWABLE_PHASES,
            },
            status=status,
        )
    audience = _audience(request, review)
    user, bound = signed_in_user(request), bound or {}
    is_draft, editor = not review.is_published, review_rights.may_edit(user)
    context = {
        "review": review,
        "incident": review.incident,
        "r": review_renditions.rendition_of(review, audience),
        "audience": audience,
        "audiences": review_rights.audiences_for(user, review),
        "edit_form": bound.get("edit")
        or (ReviewForm.for_review(review) if is_draft and editor else None),
        "addendum_form": bound.get("addendum")
        or (AddendumForm() if review.is_published and editor else None),
        "item_form": bound.get("item") or (ActionItemForm() if editor else None),
        "may_lead": review_rights.may_lead(user, review.incident),
        "may_sign_off": is_draft and rights.holds(user, review.incident, Role.REGULATOR),
        "errors": bound.get("errors"),
    }
    return render(request, "learning/review_detail.html", context, status=status)


@require_safe
@login_required
def review_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    return render_review(request, incident_id)


@require_safe
@login_required
def review_print(request: HttpRequest, incident_id: int) -> HttpResponse:
    require_review_reader(request)
    review = _review_or_404(incident_id)
    if review is None:
        raise Http404("No such review.")
    audience = _audience(request, review)
    return render(
        request,
        "learning/review_print.html",
        {
            "review": review,
            "r": review_renditions.rendition_of(review, audience),
            "audience": audience,
        },
    )


@require_safe
@login_required
def review_markdown(request: HttpRequest, incident_id: int) -> HttpResponse:
    require_review_reader(request)
    review = _review_or_404(incident_id)
    if review is None:
        raise Http404("No such review.")
    r = review_renditions.rendition_of(review, _audience(request, review))
    response = HttpResponse(to_markdown(r), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(r)}"'
    return response


# --- Writing ---------------------------------------------------------------------------------


def _back(incident_id: int, anchor: str = "") -> HttpResponse:
    return redirect(
        reverse("reviews:detail", args=[incident_id]) + (f"#{anchor}" if anchor else "")
    )


def _draft_or_404(request: HttpRequest, incident_id: int) -> Review:
    require_writer(request)
    review = _review_or_404(incident_id)
    if review is None:
        raise Http404("No such review.")
    return review


def _simple(
    request: HttpRequest, incident_id: int, action: Callable[[Review], Any], anchor: str
) -> HttpResponse:
    """Run a form-less action; a refusal shows the page with the message."""
    review = _draft_or_404(request, incident_id)
    try:
        action(review)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        return render_review(
            request, incident_id, bound={"errors": [exc.message]}, status=exc.status
        )
    return _back(incident_id, anchor)


@login_required
@require_POST
def start(request: HttpRequest, incident_id: int) -> HttpResponse:
    require_writer(request)
    incident = get_object_or_404(Incident, pk=incident_id)
    try:
        review_services.start_review(incident=incident, by=signed_in_user(request))
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        return render(
            request,
            "learning/review_start.html",
            {
                "incident": incident,
                "may_start": review_rights.may_lead(signed_in_user(request), incident),
                "reviewable": incident.phase in review_vocabulary.REVIEWABLE_PHASES,
                "errors": [exc.message],
            },
            status=exc.status,
        )
    return _back(incident_id)


@login_required
@require_POST
def edit(request: HttpRequest, incident_id: int) -> HttpResponse:
    review = _draft_or_404(request, incident_id)
    form = ReviewForm.for_review(review, request.POST)
    _, status = run_action(
        form,
        lambda d: review_services.edit_review(
            review=review, by=signed_in_user(request), **form.changes()
        ),
    )
    if status == 200:
        return _back(incident_id, "edit")
    return render_review(request, incident_id, bound={"edit": form}, status=status)


@login_required
@require_POST
def regenerate(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _simple(
        request,
        incident_id,
        lambda r: review_services.regenerate_review(review=r, by=signed_in_user(request)),
        "record",
    )


@login_required
@require_POST
def sign_off(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _simple(
        request,
        incident_id,
        lambda r: review_services.sign_off_regulator(review=r, by=signed_in_user(request)),
        "publish",
    )


@login_required
@require_POST
def publish(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _simple(
        request,
        incident_id,
        lambda r: review_services.publish_review(review=r, by=signed_in_user(request)),
        "",
    )


@login_required
@require_POST
def add_addendum(request: HttpRequest, incident_id: int) -> HttpResponse:
    review = _draft_or_404(request, incident_id)
    form = AddendumForm(request.POST)
    _, status = run_action(
        form,
        lambda d: review_services.add_addendum(
            review=review, by=signed_in_user(request), body=d["body"]
        ),
    )
    if status == 200:
        return _back(incident_id, "addenda")
    return render_review(request, incident_id, bound={"addendum": form}, status=status)


@login_required
@require_POST
def create_item(request: HttpRequest, incident_id: int) -> HttpResponse:
    review = _draft_or_404(request, incident_id)
    form = ActionItemForm(request.POST)

    def action(d: dict[str, Any]) -> ActionItem:
        due: datetime = d["due_at"]
        return actions.create_action_item(
            incident=review.incident,
            review=review,
            by=signed_in_user(request),
            title=d["title"],
            owner=d["owner"],
            due_at=due,
            expected_outcome=d["expected_outcome"],
            category=d["category"],
        )

    _, status = run_action(form, action)
    if status == 200:
        return _back(incident_id, "action-items")
    return render_review(request, incident_id, bound={"item": form}, status=status)


# --- Action items ---------------------------------------------------------------------------


def render_items(
    request: HttpRequest, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    if not permissions.can_read_incidents(request.user):
        raise PermissionDenied("Action items are for responders, commanders and executives.")
    now = timezone.now()
    show = request.GET.get("show", "mine")
    if show == "overdue":
        items = actions.overdue_items(now)
    elif show == "open":
        items = actions.open_items()
    else:
        show, items = "mine", ActionItem.objects.filter(owner=signed_in_user(request))
    items = items.select_related("incident", "owner").order_by("due_at", "pk")[:LIST_LIMIT]
    rows = [
        {
            "item": i,
            "overdue": actions.is_overdue(i, now),
            "form": ActionStatusForm(initial={"status": i.status}, prefix=f"i{i.pk}"),
        }
        for i in items
    ]
    return render(
        request,
        "learning/action_items.html",
        {
            "rows": rows,
            "show": show,
            "may_write": permissions.can_respond(request.user),
            "errors": errors,
        },
        status=status,
    )


@require_safe
@login_required
def action_items(request: HttpRequest) -> HttpResponse:
    """My action items, the overdue ones, or every open one (incident readers; executives read only)."""
    return render_items(request)


@login_required
@require_POST
def item_status(request: HttpRequest, item_id: int) -> HttpResponse:
    require_writer(request)
    item = get_object_or_404(ActionItem, pk=item_id)
    form = ActionStatusForm(request.POST, prefix=f"i{item.pk}")
    _, status = run_action(
        form,
        lambda d: actions.update_action_item(
            item=item, by=signed_in_user(request), status=d["status"], note=d["note"]
        ),
    )
    show = request.GET.get("show", "mine")
    if status != 200:
        errors = [f"{item.title}: {e}" for errs in form.errors.values() for e in errs]
        return render_items(request, errors=errors, status=status)
    return redirect(
        reverse("reviews:action-items") + f"?show={show if show in ('overdue', 'open') else 'mine'}"
    )
