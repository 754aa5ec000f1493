from django.urls import path

from sso import views

app_name = "sso"
urlpatterns = [
    path("authenticate/", views.authenticate, name="authenticate"),
    path("callback/", views.callback, name="callback"),
    path("refused/", views.refused, name="refused"),
]
