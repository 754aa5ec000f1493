"""Pages of the learning loop: drills."""

from django.urls import path

from learning.pages import drills

app_name = "drills"
urlpatterns: list = [
    path("", drills.drill_list, name="list"),
    path("start/", drills.start, name="start"),
    path("<int:pk>/", drills.detail, name="detail"),
    path("<int:pk>/end/", drills.end, name="end"),
    path("<int:pk>/abort/", drills.end, {"abort": True}, name="abort"),
    path("<int:pk>/debrief/", drills.debrief, name="debrief"),
]
