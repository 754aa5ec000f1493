"""API v1 routes of the learning loop: action items. Included into api.urls v1 at the root."""

from django.urls import path

from api.action_items import views

urlpatterns = [
    path("action-items/", views.ActionItemListView.as_view(), name="action-item-list"),
    path(
        "action-items/<int:item_id>/",
        views.ActionItemDetailView.as_view(),
        name="action-item-detail",
    ),
]
