"""API v1 routes of incidents, severity, impact, milestones, roles. Included into api.urls v1 at the root."""

from django.urls import path

from api.incidents import views

urlpatterns = [
    path("incidents/", views.IncidentListView.as_view(), name="incident-list"),
    path(
        "incidents/<int:incident_id>/",
        views.IncidentDetailView.as_view(),
        name="incident-detail",
    ),
    path(
        "incidents/<int:incident_id>/severity/",
        views.SeverityView.as_view(),
        name="incident-severity",
    ),
    path(
        "incidents/<int:incident_id>/impact/",
        views.ImpactView.as_view(),
        name="incident-impact",
    ),
    path(
        "incidents/<int:incident_id>/milestones/",
        views.MilestoneListView.as_view(),
        name="milestone-list",
    ),
    path("incidents/<int:incident_id>/roles/", views.RoleListView.as_view(), name="role-list"),
    path(
        "incidents/<int:incident_id>/roles/release/",
        views.RoleReleaseView.as_view(),
        name="role-release",
    ),
]
