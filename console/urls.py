from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import appendix_views, inbox_views, views
from sso import views as sso_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", sso_views.ConsoleLoginView.as_view(), name="login"),
    path("sso/", include("sso.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("incidents/<int:pk>/glossary/", appendix_views.appendix, name="incident-glossary"),
    path("incidents/", include("console.incident_urls")),
    path("inbox/", include(inbox_views.urlpatterns)),
    path("glossary/", include("glossary.urls")),
    path("comms/", include("comms.urls")),
    path("status/", include("console.status_urls")),
    path("metrics/", include("learning.urls_metrics")),
    path("reviews/", include("learning.urls_reviews")),
    path("drills/", include("learning.urls_drills")),
    path("api/v2/", include("integrations.statuspage_urls")),
    path("api/", include("api.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "console.views.not_found"
handler500 = "console.views.server_error"
