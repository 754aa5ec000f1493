"""Customer subscriptions on the public status page: sign up, confirm, one-click unsubscribe.

No login. The sign-up and confirm forms carry a CSRF token (these pages are
rendered per request, not cached). The unsubscribe URL also takes RFC 8058's
one-click POST (`List-Unsubscribe=One-Click`) that mail clients send without
a token or cookie, so it is CSRF-exempt: it can only end the subscription its
signed token names. Whatever an address's state, sign-up answers the same.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kit.client import client_address
from kit.errors import DomainError
from kit.pages import add_domain_error
from publicstatus import subscriptions
from publicstatus.components import public_components


class SubscribeForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)
    components = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Components (none ticked: all of them)",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["components"]
        if isinstance(field, forms.MultipleChoiceField):
            field.choices = [(c.slug, c.name) for c in public_components()]


def _page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    response = render(request, f"status/{template}", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """Show the sign-up form; on POST mail a confirmation link (double opt-in)."""
    if request.method != "POST":
        return _page(request, "public_subscribe.html", form=SubscribeForm())
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return _page(request, "public_subscribe.html", 400, form=form)
    try:
        subscriptions.sign_up(
            address=form.cleaned_data["email"],
            components=form.cleaned_data["components"],
            client=client_address(request),
        )
    except subscriptions.Throttled as exc:
        response = _page(request, "public_subscribe.html", 429, form=form, throttled=exc.message)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except DomainError as exc:
        add_domain_error(form, exc)
        return _page(request, "public_subscribe.html", exc.status, form=form)
    return _page(request, "public_subscribe_sent.html")


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a button (link scanners do not subscribe anyone); POST: confirm."""
    try:
        if request.method == "POST":
            subscriptions.confirm(token)
            return _page(request, "public_subscribe_done.html", message="You are subscribed.")
        subscriptions.check_confirm_link(token)
    except subscriptions.BadLink as exc:
        return _page(request, "public_subscribe_done.html", 400, message=exc.message)
    return _page(request, "public_subscribe_confirm.html", action="confirm")


@csrf_exempt  # RFC 8058: the one-click POST comes from a mail client, with no token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a confirm button; POST (the button, or RFC 8058 one-click): unsubscribe."""
    try:
        if request.method == "POST":
            subscriptions.unsubscribe(token)
            return _page(request, "public_subscribe_done.html", message="You are unsubscribed.")
        subscriptions.check_unsubscribe_link(token)
    except subscriptions.BadLink as exc:
        return _page(request, "public_subscribe_done.html", 400, message=exc.message)
    return _page(request, "public_subscribe_confirm.html", action="unsubscribe")
