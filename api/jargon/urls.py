"""API v1 routes of the jargon check. Included into api.urls v1 at the root."""

from django.urls import path

from api.jargon import views

urlpatterns = [
    path("jargon-check/", views.JargonCheckView.as_view(), name="jargon-check"),
]
