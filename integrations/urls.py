from django.urls import path

from integrations import (
    schema,  # noqa: F401  (registers the bearer key scheme with drf-spectacular)
    views,
)

urlpatterns = [
    path("alertmanager/", views.AlertmanagerView.as_view(), name="integration-alertmanager"),
    path("grafana/", views.GrafanaView.as_view(), name="integration-grafana"),
    path(
        "pagerduty/v2/enqueue", views.PagerDutyEnqueueView.as_view(), name="integration-pagerduty"
    ),
]
