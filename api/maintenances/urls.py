"""API v1 routes of scheduled maintenance. Included into api.urls v1 at the root."""

from django.urls import path

from api.maintenances import views

urlpatterns = [
    path("maintenances/", views.MaintenanceListView.as_view(), name="maintenance-list"),
    path(
        "maintenances/<int:maintenance_id>/",
        views.MaintenanceDetailView.as_view(),
        name="maintenance-detail",
    ),
    path(
        "maintenances/<int:maintenance_id>/steps/",
        views.MaintenanceStepView.as_view(),
        name="maintenance-step",
    ),
]
