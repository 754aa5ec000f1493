"""The in-app inbox: a user's update, reminder and escalation messages.

Any signed-in user has an inbox (executives receive escalations); marking a
message read changes only the reader's own rows, so it is not an incident
write and is open to read-only personas too.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from comms import inbox
from comms.models import Channel, Delivery
from kit.users import signed_in_user

PAGE_SIZE = 30


@require_safe
@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    messages = inbox.inbox_of(signed_in_user(request)).select_related("incident", "update")
    if request.GET.get("show") == "unread":
        messages = messages.filter(read_at__isnull=True)
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inbox/inbox.html",
        {"page": page, "only_unread": request.GET.get("show") == "unread"},
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, delivery_id: str) -> HttpResponse:
    delivery = get_object_or_404(Delivery, pk=delivery_id, user=request.user, channel=Channel.INAPP)
    inbox.mark_read(delivery=delivery, by=signed_in_user(request))
    return redirect("inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    inbox.mark_all_read(by=signed_in_user(request))
    return redirect("inbox")


urlpatterns = [
    path("", inbox_page, name="inbox"),
    path("read-all/", mark_all_read, name="inbox-read-all"),
    path("<uuid:delivery_id>/read/", mark_read, name="inbox-read"),
]
