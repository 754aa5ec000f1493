from django.urls import path

from console import incident_views as views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="list"),
    path("declare/", views.declare, name="declare"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/notes/", views.add_note, name="add_note"),
    path("<int:pk>/decisions/", views.record_decision, name="record_decision"),
    path("<int:pk>/milestones/", views.reach_milestone, name="reach_milestone"),
    path("<int:pk>/roles/", views.assign_role, name="assign_role"),
]
