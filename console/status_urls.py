from django.urls import path

from console.pages import status as views

app_name = "status"
urlpatterns = [
    path("", views.executive, name="executive"),
    path("public/", views.public, name="public"),
    path("regulator/", views.regulator, name="regulator"),
    path("technical/<int:incident_id>/", views.technical, name="technical"),
]
