"""API v1 routes of a monitored model's health metrics. Included into api.urls v1 at the root."""

from django.urls import path

from api.health_metrics import views

urlpatterns = [
    path("models/<slug:slug>/metrics/", views.MetricListView.as_view(), name="metric-list"),
]
