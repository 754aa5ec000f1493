"""API v1 routes of the learning loop: communication metrics. Included into api.urls v1 at the root."""

from django.urls import path

from api.communication_metrics import views

urlpatterns: list = [
    path(
        "metrics/communication/",
        views.CommunicationMetricsView.as_view(),
        name="metrics-communication",
    ),
]
