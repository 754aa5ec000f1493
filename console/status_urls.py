from django.urls import path

from console.pages import public_feeds
from console.pages import status as views

app_name = "status"
urlpatterns = [
    path("", views.executive, name="executive"),
    path("public/", views.public, name="public"),
    path("public/feed.atom", public_feeds.atom, name="public-atom"),
    path("public/feed.rss", public_feeds.rss, name="public-rss"),
    path("public/maintenance.ics", public_feeds.calendar, name="public-calendar"),
    path("regulator/", views.regulator, name="regulator"),
    path("technical/<int:incident_id>/", views.technical, name="technical"),
]
