"""API v1 routes of monitored ML models. Included into api.urls v1 at the root."""

from django.urls import path

from api.monitored_models import views

urlpatterns = [
    path("models/", views.ModelListView.as_view(), name="model-list"),
    path("models/<slug:slug>/", views.ModelDetailView.as_view(), name="model-detail"),
]
