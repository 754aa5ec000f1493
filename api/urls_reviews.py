"""API v1 routes of the learning loop: reviews. Included into api.urls v1 at the root."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
