"""Pages of the learning loop: metrics."""

from django.urls import path

from learning.pages import metrics

app_name = "metrics"
urlpatterns: list = [
    path("", metrics.index, name="index"),
    path("communication.csv", metrics.export_csv, name="csv"),
]
