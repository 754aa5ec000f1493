from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

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
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
