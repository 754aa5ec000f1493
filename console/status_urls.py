from django.urls import path

from console.pages import public_feeds, public_subscribe
from console.pages import status as views

app_name = "status"
urlpatterns = [
    path("", views.executive, name="executive"),
    path("public/", views.public, name="public"),
    path("public/feed.atom", public_feeds.atom, name="public-atom"),
    path("public/feed.rss", public_feeds.rss, name="public-rss"),
    path("public/maintenance.ics", public_feeds.calendar, name="public-calendar"),
    path("public/subscribe/", public_subscribe.subscribe, name="public-subscribe"),
    path(
        "public/subscribe/confirm/<str:token>/",
        public_subscribe.confirm,
        name="public-subscribe-confirm",
    ),
    path(
        "public/unsubscribe/<str:token>/",
        public_subscribe.unsubscribe,
        name="public-unsubscribe",
    ),
    path("regulator/", views.regulator, name="regulator"),
    path("technical/<int:incident_id>/", views.technical, name="technical"),
]
