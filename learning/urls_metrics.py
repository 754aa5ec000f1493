"""Pages of the learning loop: metrics."""

from django.urls import path

from learning.pages import communication_metrics as metrics

app_name = "metrics"
urlpatterns: list = [
    path("", metrics.index, name="index"),
    path("communication.csv", metrics.export_csv, name="csv"),
]
