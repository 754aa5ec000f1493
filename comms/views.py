"""Pages of the comms app that need no login: the one-click feedback link."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from comms.feedback import COMMENT_MAX, delivery_for_feedback, record_feedback
from comms.models import Feedback, Rendition
from kit.errors import DomainError

CLARITY = [(1, "1 – very unclear"), (2, "2"), (3, "3"), (4, "4"), (5, "5 – very clear")]
USEFULNESS = [(1, "1 – not useful"), (2, "2"), (3, "3"), (4, "4"), (5, "5 – very useful")]


class FeedbackForm(forms.Form):
    clarity = forms.TypedChoiceField(
        label="How clear was this update?", choices=CLARITY, coerce=int, widget=forms.RadioSelect
    )
    usefulness = forms.TypedChoiceField(
        label="How useful was it to you?", choices=USEFULNESS, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Anything we should say differently? (optional)",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """Rate one delivered update; the signed token in the link stands in for a login."""
    delivery = delivery_for_feedback(token)
    if delivery is None:
        raise Http404("This feedback link is not valid.")
    existing = Feedback.objects.filter(delivery=delivery).first()
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            try:
                record_feedback(delivery=delivery, **form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                return redirect(f"{request.path}?thanks=1")
    else:
        initial = (
            {
                "clarity": existing.clarity,
                "usefulness": existing.usefulness,
                "comment": existing.comment,
            }
            if existing
            else {}
        )
        form = FeedbackForm(initial=initial)
    context = {
        "form": form,
        # No incident in the context: this page is public, and the incident's
        # reference and internal title are not public words.
        "update": delivery.update,
        "rendition": Rendition.objects.filter(
            update_id=delivery.update_id, audience=delivery.audience
        ).first(),
        "thanks": request.method == "GET" and "thanks" in request.GET and existing is not None,
        "already_rated": existing is not None,
    }
    return render(request, "comms/feedback.html", context, status=400 if form.errors else 200)
