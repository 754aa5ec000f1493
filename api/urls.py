from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
from api.views import (
    deadlines,
    deliveries,
    glossary,
    incidents,
    jargon,
    log,
    models,
    playbooks,
    subscriptions,
    updates,
)

v1 = [
    path("incidents/", incidents.IncidentListView.as_view(), name="incident-list"),
    path(
        "incidents/<int:incident_id>/",
        incidents.IncidentDetailView.as_view(),
        name="incident-detail",
    ),
    path(
        "incidents/<int:incident_id>/severity/",
        incidents.SeverityView.as_view(),
        name="incident-severity",
    ),
    path(
        "incidents/<int:incident_id>/impact/",
        incidents.ImpactView.as_view(),
        name="incident-impact",
    ),
    path(
        "incidents/<int:incident_id>/milestones/",
        incidents.MilestoneListView.as_view(),
        name="milestone-list",
    ),
    path("incidents/<int:incident_id>/roles/", incidents.RoleListView.as_view(), name="role-list"),
    path(
        "incidents/<int:incident_id>/roles/release/",
        incidents.RoleReleaseView.as_view(),
        name="role-release",
    ),
    path("incidents/<int:incident_id>/log/", log.LogListView.as_view(), name="log-list"),
    path("incidents/<int:incident_id>/log/verify/", log.LogVerifyView.as_view(), name="log-verify"),
    path(
        "incidents/<int:incident_id>/log/<int:sequence>/",
        log.LogEntryView.as_view(),
        name="log-entry",
    ),
    # Status updates, cadence and feedback of an incident
    path(
        "incidents/<int:incident_id>/updates/", updates.UpdateListView.as_view(), name="update-list"
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/",
        updates.UpdateDetailView.as_view(),
        name="update-detail",
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/submit/",
        updates.UpdateSubmitView.as_view(),
        name="update-submit",
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/sign-off/",
        updates.UpdateSignOffView.as_view(),
        name="update-sign-off",
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/publish/",
        updates.UpdatePublishView.as_view(),
        name="update-publish",
    ),
    path(
        "incidents/<int:incident_id>/updates/<int:number>/jargon/",
        updates.UpdateJargonView.as_view(),
        name="update-jargon",
    ),
    path(
        "incidents/<int:incident_id>/deadlines/",
        deadlines.DeadlineListView.as_view(),
        name="deadline-list",
    ),
    path(
        "incidents/<int:incident_id>/deadlines/<int:deadline_id>/snooze/",
        deadlines.DeadlineSnoozeView.as_view(),
        name="deadline-snooze",
    ),
    path(
        "incidents/<int:incident_id>/feedback/",
        deadlines.FeedbackSummaryView.as_view(),
        name="feedback-summary",
    ),
    path(
        "regulator/updates/",
        updates.RegulatorUpdateListView.as_view(),
        name="regulator-update-list",
    ),
    path(
        "regulator/updates/<int:rendition_id>/",
        updates.RegulatorUpdateDetailView.as_view(),
        name="regulator-update-detail",
    ),
    path("jargon-check/", jargon.JargonCheckView.as_view(), name="jargon-check"),
    # Notifications
    path("subscriptions/", subscriptions.SubscriptionListView.as_view(), name="subscription-list"),
    path(
        "subscriptions/<int:subscription_id>/",
        subscriptions.SubscriptionDetailView.as_view(),
        name="subscription-detail",
    ),
    path(
        "subscriptions/<int:subscription_id>/rotate-secret/",
        subscriptions.SubscriptionRotateSecretView.as_view(),
        name="subscription-rotate-secret",
    ),
    path(
        "subscriptions/<int:subscription_id>/test/",
        subscriptions.SubscriptionTestView.as_view(),
        name="subscription-test",
    ),
    path("deliveries/", deliveries.DeliveryListView.as_view(), name="delivery-list"),
    path(
        "deliveries/<uuid:delivery_id>/",
        deliveries.DeliveryDetailView.as_view(),
        name="delivery-detail",
    ),
    path("inbox/", deliveries.InboxView.as_view(), name="inbox"),
    path("inbox/read-all/", deliveries.InboxReadAllView.as_view(), name="inbox-read-all"),
    path("inbox/<uuid:delivery_id>/read/", deliveries.InboxReadView.as_view(), name="inbox-read"),
    path("models/", models.ModelListView.as_view(), name="model-list"),
    path("models/<slug:slug>/", models.ModelDetailView.as_view(), name="model-detail"),
    path("models/<slug:slug>/metrics/", models.MetricListView.as_view(), name="metric-list"),
    path("glossary/terms/", glossary.TermListView.as_view(), name="term-list"),
    path("glossary/terms/<slug:slug>/", glossary.TermDetailView.as_view(), name="term-detail"),
    path(
        "glossary/terms/<slug:slug>/revise/", glossary.TermReviseView.as_view(), name="term-revise"
    ),
    path(
        "glossary/terms/<slug:slug>/versions/<int:version>/",
        glossary.TermVersionView.as_view(),
        name="term-version",
    ),
    path("playbooks/", playbooks.PlaybookListView.as_view(), name="playbook-list"),
    path(
        "playbooks/<int:playbook_id>/",
        playbooks.PlaybookDetailView.as_view(),
        name="playbook-detail",
    ),
    path("integrations/", include("integrations.urls")),
    # The learning loop: each module has its own permission matrix under tests/learning/.
    path("", include("api.urls_metrics")),
    path("", include("api.urls_reviews")),
    path("", include("api.urls_drills")),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its init script from a URL: no inline script under the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("v1/", include((v1, "v1"))),
]
