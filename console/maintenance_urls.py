"""Pages of scheduled maintenance (publicstatus)."""

from django.urls import path

from console.pages import maintenance

app_name = "maintenance"
urlpatterns = [
    path("", maintenance.maintenance_list, name="list"),
    path("schedule/", maintenance.schedule, name="schedule"),
    path("<int:pk>/step/", maintenance.step, name="step"),
]
