"""API v1 route of an incident's evidence pack. Included into api.urls v1 at the root."""

from django.urls import path

from api.evidence import views

urlpatterns = [
    path(
        "incidents/<int:incident_id>/evidence/",
        views.EvidencePackView.as_view(),
        name="evidence-pack",
    ),
]
