"""API v1 routes of the decision log of an incident. Included into api.urls v1 at the root."""

from django.urls import path

from api.decision_log import views

urlpatterns = [
    path("incidents/<int:incident_id>/log/", views.LogListView.as_view(), name="log-list"),
    path(
        "incidents/<int:incident_id>/log/verify/", views.LogVerifyView.as_view(), name="log-verify"
    ),
    path(
        "incidents/<int:incident_id>/log/<int:sequence>/",
        views.LogEntryView.as_view(),
        name="log-entry",
    ),
]
