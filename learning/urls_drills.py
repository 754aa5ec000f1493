"""Pages of the learning loop: drills."""

from django.urls import path  # noqa: F401

app_name = "drills"
urlpatterns: list = []
