"""API v1 routes of playbooks. Included into api.urls v1 at the root."""

from django.urls import path

from api.playbooks import views

urlpatterns = [
    path("playbooks/", views.PlaybookListView.as_view(), name="playbook-list"),
    path(
        "playbooks/<int:playbook_id>/",
        views.PlaybookDetailView.as_view(),
        name="playbook-detail",
    ),
]
