"""/api/v2/: the Statuspage v2-compatible public API (see docs/statuspage.md)."""

from django.urls import path

from integrations.statuspage_views import endpoint_view

ENDPOINTS = {
    "summary.json": "summary",
    "status.json": "status",
    "components.json": "components",
    "incidents.json": "incidents",
    "incidents/unresolved.json": "incidents-unresolved",
    "scheduled-maintenances.json": "scheduled-maintenances",
    "scheduled-maintenances/upcoming.json": "scheduled-maintenances-upcoming",
    "scheduled-maintenances/active.json": "scheduled-maintenances-active",
}

urlpatterns = [
    path(route, endpoint_view(name), name=f"statuspage-{name}") for route, name in ENDPOINTS.items()
]
