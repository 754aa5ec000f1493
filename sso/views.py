"""Sign-in pages: the login form (with the SSO button) and the OpenID Connect hand-offs."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.views import LoginView
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from sso.backends import REFUSAL_SESSION_KEY
from sso.discovery import oidc_setting

REFUSALS = {
    "no-group": "Your account at {provider} is not in any group that grants access to this console. "
    "Ask your administrator to add you to one.",
    "failed": "Sign-in through {provider} did not succeed. Try again; if it keeps failing, "
    "tell your administrator.",
}


def sso_context() -> dict[str, object]:
    return {
        "oidc_enabled": settings.OIDC_ENABLED,
        "oidc_provider_name": settings.OIDC_PROVIDER_NAME,
        "password_login": settings.PASSWORD_LOGIN,
    }


class ConsoleLoginView(LoginView):
    """The console login page; refuses local passwords when PASSWORD_LOGIN is off."""

    template_name = "registration/login.html"

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        return {**super().get_context_data(**kwargs), **sso_context()}

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if settings.PASSWORD_LOGIN:
            return super().post(request, *args, **kwargs)
        context = {**sso_context(), "password_refused": True, "next": request.POST.get("next", "")}
        return render(request, self.template_name, context, status=403)


class _RequestView(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)


class _CallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    def login_failure(self) -> HttpResponse:
        reason = self.request.session.pop(REFUSAL_SESSION_KEY, "failed")
        auth.logout(self.request)  # whoever was signed in before, nobody is now
        return HttpResponseRedirect(f"{reverse('sso:refused')}?reason={reason}")


def authenticate(request: HttpRequest) -> HttpResponse:
    """Send the browser to the provider (404 while single sign-on is not configured)."""
    if not settings.OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")
    return _RequestView.as_view()(request)


def callback(request: HttpRequest) -> HttpResponse:
    """Take the provider's answer back, verify it and sign the user in."""
    if not settings.OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")
    return _CallbackView.as_view()(request)


def refused(request: HttpRequest) -> HttpResponse:
    """Explain a refused sign-in; the reason is one of ours, never text from the URL."""
    reason = request.GET.get("reason", "failed")
    message = REFUSALS.get(reason, REFUSALS["failed"]).format(provider=settings.OIDC_PROVIDER_NAME)
    return render(request, "sso/refused.html", {"message": message, **sso_context()}, status=403)
