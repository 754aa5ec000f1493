from django.urls import path

from comms import views

app_name = "comms"
urlpatterns = [
    path("feedback/<str:token>/", views.feedback, name="feedback"),
]
