"""API v1 routes of status updates of an incident. Included into api.urls v1 at the root."""

from django.urls import path

from api.updates import views

urlpatterns = [
    path(
        "incidents/<int:incident_id>/updates/", views.UpdateListView.as_view(), name="update-list"
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/",
        views.UpdateDetailView.as_view(),
        name="update-detail",
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/submit/",
        views.UpdateSubmitView.as_view(),
        name="update-submit",
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/sign-off/",
        views.UpdateSignOffView.as_view(),
        name="update-sign-off",
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/publish/",
        views.UpdatePublishView.as_view(),
        name="update-publish",
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/jargon/",
        views.UpdateJargonView.as_view(),
        name="update-jargon",
    ),
]
