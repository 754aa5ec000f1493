"""API v1 routes of the in-app inbox. Included into api.urls v1 at the root."""

from django.urls import path

from api.inbox import views

urlpatterns = [
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("inbox/read-all/", views.InboxReadAllView.as_view(), name="inbox-read-all"),
    path("inbox/<uuid:delivery_id>/read/", views.InboxReadView.as_view(), name="inbox-read"),
]
