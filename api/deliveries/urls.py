"""API v1 routes of the outbox. Included into api.urls v1 at the root."""

from django.urls import path

from api.deliveries import views

urlpatterns = [
    path("deliveries/", views.DeliveryListView.as_view(), name="delivery-list"),
    path(
        "deliveries/<uuid:delivery_id>/",
        views.DeliveryDetailView.as_view(),
        name="delivery-detail",
    ),
]
