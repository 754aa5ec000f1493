"""API v1 routes of glossary terms. Included into api.urls v1 at the root."""

from django.urls import path

from api.glossary import views

urlpatterns = [
    path("glossary/terms/", views.TermListView.as_view(), name="term-list"),
    path("glossary/terms/<slug:slug>/", views.TermDetailView.as_view(), name="term-detail"),
    path("glossary/terms/<slug:slug>/revise/", views.TermReviseView.as_view(), name="term-revise"),
    path(
        "glossary/terms/<slug:slug>/versions/<int:version>/",
        views.TermVersionView.as_view(),
        name="term-version",
    ),
]
