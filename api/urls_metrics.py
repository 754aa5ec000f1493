"""API v1 routes of the learning loop: metrics. Included into api.urls v1 at the root."""

from django.urls import path

from api.views import metrics

urlpatterns: list = [
    path(
        "metrics/communication/",
        metrics.CommunicationMetricsView.as_view(),
        name="metrics-communication",
    ),
]
