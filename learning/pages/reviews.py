"""Review and action-item pages: read per audience, edit the draft, publish, addenda, export.

Every view checks access on the server first; services check again (who
leads, who signs off). Mutations are POST forms that redirect (no JS needed);
refusals come back as field errors on the same page with a 4xx status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from audit.middleware import mark_regulator_read
from incidents import permissions
from incidents.choices import (
    GROUP_ADMIN,
    GROUP_COMMANDER,
    GROUP_EXECUTIVE,
    GROUP_REGULATOR,
    GROUP_RESPONDER,
)
from incidents.models import Incident
from kit.errors import DomainError, NotPermitted
from kit.pages import run_action
from learning import actions, reviews, taxonomies
from learning.markdown import filename, to_markdown
from learning.models import ActionItem, Review, RootCause

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
        self.fields["taxonomy"].choices = [("", "— none —")] + [
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
        initial = {name: getattr(review, name) for name in reviews.TEXT_FIELDS}
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
        out = {name: d[name] for name in reviews.TEXT_FIELDS}
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
        self.fields["owner"].queryset = owners()


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
    note = forms.CharField(required=False, max_length=300)


# --- Reading ---------------------------------------------------------------------------------


def _review_or_404(incident_id: int) -> Review | None:
    return (
        Review.objects.select_related("incident", "published_by", "regulator_signed_off_by")
        .filter(incident_id=incident_id)
        .first()
    )


def _audience(request: HttpRequest, review: Review) -> str:
    """Return the rendition asked for; 404 if the review is hidden from the user, 403 for a rendition they lack."""
    allowed = reviews.audiences_for(request.user, review)
    if not allowed:
        raise Http404("No such review.")
    audience = request.GET.get("audience") or allowed[0]
    if audience not in reviews.AUDIENCES:
        raise Http404("No such rendition.")
    if audience not in allowed:
        raise PermissionDenied("This rendition is not shown to you.")
    if audience == reviews.REGULATOR:
        mark_regulator_read(request)  # the audit trail records who read the disclosure
    return audience


@require_safe
@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    require_review_reader(request)
    listed = (
        reviews.visible_reviews(request.user)
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
                phase__in=reviews.REVIEWABLE_PHASES, review__isnull=True
            ).order_by("-resolved_at")[:LIST_LIMIT]
        )
    return render(
        request, "learning/review_list.html", {"reviews": list(listed), "unreviewed": unreviewed}
    )


def render_review(
    request: HttpRequest,
    incident_id: int,
    *,
    bound: dict[str, forms.Form] | None = None,
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
                "may_start": reviews.may_lead(request.user, incident),
                "reviewable": incident.phase in reviews.REVIEWABLE_PHASES,
            },
            status=status,
        )
    audience = _audience(request, review)
    user, bound = request.user, bound or {}
    is_draft, editor = not review.is_published, reviews.may_edit(user)
    context = {
        "review": review,
        "incident": review.incident,
        "r": reviews.rendition_of(review, audience),
        "audience": audience,
        "audiences": reviews.audiences_for(user, review),
        "edit_form": bound.get("edit")
        or (ReviewForm.for_review(review) if is_draft and editor else None),
        "addendum_form": bound.get("addendum")
        or (AddendumForm() if review.is_published and editor else None),
        "item_form": bound.get("item") or (ActionItemForm() if editor else None),
        "may_lead": reviews.may_lead(user, review.incident),
        "may_sign_off": is_draft
        and "liaison_regulator" in reviews.roles_held(user, review.incident),
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
        {"review": review, "r": reviews.rendition_of(review, audience), "audience": audience},
    )


@require_safe
@login_required
def review_markdown(request: HttpRequest, incident_id: int) -> HttpResponse:
    require_review_reader(request)
    review = _review_or_404(incident_id)
    if review is None:
        raise Http404("No such review.")
    r = reviews.rendition_of(review, _audience(request, review))
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
        reviews.start_review(incident=incident, by=request.user)
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        return render(
            request,
            "learning/review_start.html",
            {
                "incident": incident,
                "may_start": reviews.may_lead(request.user, incident),
                "reviewable": incident.phase in reviews.REVIEWABLE_PHASES,
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
        form, lambda d: reviews.edit_review(review=review, by=request.user, **form.changes())
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
        lambda r: reviews.regenerate_review(review=r, by=request.user),
        "record",
    )


@login_required
@require_POST
def sign_off(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _simple(
        request,
        incident_id,
        lambda r: reviews.sign_off_regulator(review=r, by=request.user),
        "publish",
    )


@login_required
@require_POST
def publish(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _simple(
        request, incident_id, lambda r: reviews.publish_review(review=r, by=request.user), ""
    )


@login_required
@require_POST
def add_addendum(request: HttpRequest, incident_id: int) -> HttpResponse:
    review = _draft_or_404(request, incident_id)
    form = AddendumForm(request.POST)
    _, status = run_action(
        form, lambda d: reviews.add_addendum(review=review, by=request.user, body=d["body"])
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
            by=request.user,
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
        show, items = "mine", ActionItem.objects.filter(owner=request.user)
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
            item=item, by=request.user, status=d["status"], note=d["note"]
        ),
    )
    show = request.GET.get("show", "mine")
    if status != 200:
        errors = [f"{item.title}: {e}" for errs in form.errors.values() for e in errs]
        return render_items(request, errors=errors, status=status)
    return redirect(
        reverse("reviews:action-items") + f"?show={show if show in ('overdue', 'open') else 'mine'}"
    )
