"""The API's URLs: the schema, its Swagger UI, and v1 made of one route module per resource.

Each resource package (api/<resource>/) has its own urls.py, included here at
the v1 root; integrations keep their own URLs and are included under
`integrations/` (api depends on integrations, never the other way).
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import openapi  # noqa: F401  (registers the token scheme with drf-spectacular)

# The resources whose permission matrix is tests/api/test_it_permissions.py; the
# learning loop's (LEARNING_RESOURCES) have their own matrices under tests/learning/.
RESOURCES = [
    "incidents",
    "decision_log",
    "updates",
    "deadlines",
    "feedback",
    "regulator_channel",
    "jargon",
    "subscriptions",
    "deliveries",
    "inbox",
    "monitored_models",
    "health_metrics",
    "glossary",
    "playbooks",
    "evidence",
    "obligations",
    "maintenances",
]
LEARNING_RESOURCES = ["communication_metrics", "reviews", "action_items", "drills"]

v1 = [
    *(path("", include(f"api.{name}.urls")) for name in RESOURCES),
    path("integrations/", include("integrations.urls")),
    *(path("", include(f"api.{name}.urls")) for name in LEARNING_RESOURCES),
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
