"""OpenAPI pieces for the integration endpoints: one bearer scheme per key kind."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class _KeyScheme(OpenApiAuthenticationExtension):
    kind = ""

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": f"A {self.kind} integration key (`manage.py create_integration_key NAME --kind {self.kind}`).",
        }


class AlertmanagerKeyScheme(_KeyScheme):
    target_class = "integrations.authentication.AlertmanagerKeyAuthentication"
    name = "alertmanagerKey"
    kind = "alertmanager"


class GrafanaKeyScheme(_KeyScheme):
    target_class = "integrations.authentication.GrafanaKeyAuthentication"
    name = "grafanaKey"
    kind = "grafana"


class MetricsKeyScheme(_KeyScheme):
    target_class = "integrations.authentication.MetricsKeyAuthentication"
    name = "metricsKey"
    kind = "metrics"
