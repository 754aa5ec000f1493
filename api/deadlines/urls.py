"""API v1 routes of cadence deadlines of an incident. Included into api.urls v1 at the root."""

from django.urls import path

from api.deadlines import views

urlpatterns = [
    path(
        "incidents/<int:incident_id>/deadlines/",
        views.DeadlineListView.as_view(),
        name="deadline-list",
    ),
    path(
        "incidents/<int:incident_id>/deadlines/<int:deadline_id>/snooze/",
        views.DeadlineSnoozeView.as_view(),
        name="deadline-snooze",
    ),
]
