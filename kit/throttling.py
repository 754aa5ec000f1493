"""Login throttling (django-axes): the lockout answer and the token-guessing guard.

Failures are counted per account and per client address in the database, so
every web process shares them. After LOGIN_FAILURE_LIMIT failures within
LOGIN_FAILURE_WINDOW minutes the next attempt is refused even with the right
password until the window has passed since the lockout, or an admin unlocks
(`manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`, or the admin).
"""

from __future__ import annotations

import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from kit.client import client_address


def retry_after_seconds(request: HttpRequest, username: str | None = None) -> int:
    """Seconds until the newest failure that counts against this account or address expires."""
    window = settings.AXES_COOLOFF_TIME
    match = Q(ip_address=client_address(request))
    if username:
        match |= Q(username=username)
    latest = AccessAttempt.objects.filter(match).aggregate(at=Max("attempt_time"))["at"]
    if latest is None:
        return int(window.total_seconds())
    return max(1, math.ceil((latest + window - timezone.now()).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a proper page for people, our JSON error shape for the API."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    wait = retry_after_seconds(request, username)
    minutes = max(1, math.ceil(wait / 60))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "error": {
                    "status": 429,
                    "code": "throttled",
                    "message": f"Too many failed sign-ins. Try again in {wait} seconds.",
                }
            },
            status=429,
        )
    else:
        context = {"minutes": minutes, "limit": settings.LOGIN_FAILURE_LIMIT}
        response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


def token_guessing_allowed(request: HttpRequest) -> bool:
    """False while this client address is locked out.

    One query on every token request (axes' own check makes one per lockout
    parameter; a token request has no username to check).
    """
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(
        ip_address=client_address(request), attempt_time__gte=since
    ).aggregate(n=Sum("failures_since_start"))["n"]
    return (failures or 0) < settings.AXES_FAILURE_LIMIT


def token_failed(request: HttpRequest, prefix: str) -> None:
    """Count a bad API token like a failed password: per address (and per token prefix)."""
    user_login_failed.send(
        sender=__name__, credentials={"username": f"token:{prefix}"}, request=request
    )


class ThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, skipped when there is no web request.

    Every web sign-in path (LoginView, the admin, SSO) passes the request;
    code outside a request (a management command, a shell) has no client
    address to count against and no guesser behind it, and axes' own backend
    would refuse it outright.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
