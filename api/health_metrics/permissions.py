"""Who may post and read health metrics: monitoring jobs by key, people as for incidents."""

from __future__ import annotations

from rest_framework.request import Request

from api.incidents.permissions import IncidentAccess
from integrations.authentication import integration_key


class MetricsKeyOrIncidentAccess(IncidentAccess):
    """Monitoring jobs post points with a metrics integration key; people as for incidents."""

    def has_permission(self, request: Request, view: object) -> bool:
        if integration_key(request, "metrics") is not None:
            return request.method == "POST"
        return super().has_permission(request, view)
