"""API v1 routes of the learning loop: drills. Included into api.urls v1 at the root."""

from django.urls import path

from api.views import drills

urlpatterns: list = [
    path("drills/scenarios/", drills.ScenarioListView.as_view(), name="drill-scenario-list"),
    path("drills/", drills.DrillListView.as_view(), name="drill-list"),
    path("drills/<int:drill_id>/", drills.DrillDetailView.as_view(), name="drill-detail"),
    path("drills/<int:drill_id>/end/", drills.DrillEndView.as_view(), name="drill-end"),
    path("drills/<int:drill_id>/abort/", drills.DrillAbortView.as_view(), name="drill-abort"),
    path("drills/<int:drill_id>/debrief/", drills.DebriefView.as_view(), name="drill-debrief"),
    path(
        "drills/<int:drill_id>/improvements/",
        drills.ImprovementListView.as_view(),
        name="drill-improvement-list",
    ),
]
