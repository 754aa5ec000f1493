"""API v1 routes of the regulator channel. Included into api.urls v1 at the root."""

from django.urls import path

from api.regulator_channel import views

urlpatterns = [
    path(
        "regulator/updates/",
        views.RegulatorUpdateListView.as_view(),
        name="regulator-update-list",
    ),
    path(
        "regulator/updates/<int:rendition_id>/",
        views.RegulatorUpdateDetailView.as_view(),
        name="regulator-update-detail",
    ),
]
