"""API v1 routes of the learning loop: drills. Included into api.urls v1 at the root."""

from django.urls import path

from api.drills import views

urlpatterns: list = [
    path("drills/scenarios/", views.ScenarioListView.as_view(), name="drill-scenario-list"),
    path("drills/", views.DrillListView.as_view(), name="drill-list"),
    path("drills/<int:drill_id>/", views.DrillDetailView.as_view(), name="drill-detail"),
    path("drills/<int:drill_id>/end/", views.DrillEndView.as_view(), name="drill-end"),
    path("drills/<int:drill_id>/abort/", views.DrillAbortView.as_view(), name="drill-abort"),
    path("drills/<int:drill_id>/debrief/", views.DebriefView.as_view(), name="drill-debrief"),
    path(
        "drills/<int:drill_id>/improvements/",
        views.ImprovementListView.as_view(),
        name="drill-improvement-list",
    ),
]
