"""API v1 routes of readers' feedback on an incident's updates. Included into api.urls v1 at the root."""

from django.urls import path

from api.feedback import views

urlpatterns = [
    path(
        "incidents/<int:incident_id>/feedback/",
        views.FeedbackSummaryView.as_view(),
        name="feedback-summary",
    ),
]
