from django.urls import path

from glossary import views

app_name = "glossary"
urlpatterns = [
    path("", views.term_list, name="list"),
    path("<slug:slug>/", views.term_detail, name="term"),
    path("<slug:slug>/v/<int:number>/", views.term_version, name="version"),
]
