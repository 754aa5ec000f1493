from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from console import prometheus
from console.pages import glossary_appendix, inbox, site
from sso import views as sso_views

urlpatterns = [
    path("", site.home, name="home"),
    path("healthz", site.healthz, name="healthz"),
    path("readyz", site.readyz, name="readyz"),
    # The Prometheus exposition (no slash, where every scraper looks); the communication
    # metrics page moved to /communication-metrics/, /metrics/ redirects signed-in users there.
    path("metrics", prometheus.metrics, name="prometheus-metrics"),
    path("metrics/", site.moved_metrics_page, name="metrics-moved"),
    path("metrics/communication.csv", site.moved_metrics_page, name="metrics-csv-moved"),
    path("login/", sso_views.ConsoleLoginView.as_view(), name="login"),
    path("sso/", include("sso.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("incidents/<int:pk>/glossary/", glossary_appendix.appendix, name="incident-glossary"),
    path("incidents/", include("console.incident_urls")),
    path("inbox/", include(inbox.urlpatterns)),
    path("glossary/", include("glossary.urls")),
    path("comms/", include("comms.urls")),
    path("status/", include("console.status_urls")),
    path("maintenance/", include("console.maintenance_urls")),
    path("communication-metrics/", include("learning.urls_metrics")),
    path("reviews/", include("learning.urls_reviews")),
    path("drills/", include("learning.urls_drills")),
    path("api/v2/", include("integrations.statuspage_urls")),
    path("api/", include("api.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "console.pages.site.not_found"
handler500 = "console.pages.site.server_error"
