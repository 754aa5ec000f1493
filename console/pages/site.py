from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error

from console import heartbeats
from incidents import permissions


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each persona to the page made for them."""
    user = request.user
    if permissions.can_respond(user):
        return redirect("incidents:list")
    if permissions.can_read_incidents(user):  # executives
        return redirect("status:executive")
    if permissions.can_read_regulator_channel(user):
        return redirect("status:regulator")
    return redirect("glossary:list")


@require_safe
@login_required
def moved_metrics_page(request: HttpRequest) -> HttpResponse:
    """The communication metrics page left /metrics/ to Prometheus's /metrics: follow it.

    Signed-in users are sent on with their filters (301); others sign in first.
    """
    target = reverse("metrics:csv" if request.path.endswith(".csv") else "metrics:index")
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Answer orchestrators: 200 when the console can do its work, else 503 naming what fails.

    Database reachable, migrations applied, Redis reachable, a Celery worker heartbeat
    within 60 s and a beat tick within two tick periods (console/heartbeats.py).
    """
    found = heartbeats.checks()
    ready = all(check["ok"] for check in found.values())
    response = JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": found}, status=200 if ready else 503
    )
    response["Cache-Control"] = "no-store"
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Answer a 404: JSON in the API's error shape under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        body = {"error": {"status": 404, "code": "not_found", "message": "No such resource."}}
        return JsonResponse(body, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Answer a 500: JSON in the API's error shape under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        body = {
            "error": {
                "status": 500,
                "code": "server_error",
                "message": "Something went wrong on our side.",
            }
        }
        return JsonResponse(body, status=500)
    return default_server_error(request)
