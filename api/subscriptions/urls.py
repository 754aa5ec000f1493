"""API v1 routes of subscriptions. Included into api.urls v1 at the root."""

from django.urls import path

from api.subscriptions import views

urlpatterns = [
    path("subscriptions/", views.SubscriptionListView.as_view(), name="subscription-list"),
    path(
        "subscriptions/<int:subscription_id>/",
        views.SubscriptionDetailView.as_view(),
        name="subscription-detail",
    ),
    path(
        "subscriptions/<int:subscription_id>/rotate-secret/",
        views.SubscriptionRotateSecretView.as_view(),
        name="subscription-rotate-secret",
    ),
    path(
        "subscriptions/<int:subscription_id>/test/",
        views.SubscriptionTestView.as_view(),
        name="subscription-test",
    ),
]
