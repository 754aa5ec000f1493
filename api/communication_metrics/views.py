"""Communication metrics: GET /api/v1/metrics/communication/ (the metrics page's numbers).

Not to be confused with health metrics of monitored models (api/health_metrics/).
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.communication_metrics import serializers as s
from api.errors import error_response
from api.incidents.permissions import IncidentAccess
from incidents.models import MonitoredModel
from kit.openapi import document
from learning import communication_metrics as metrics

TAG = ["metrics"]


class CommunicationMetricsView(ApiView):
    """Who reads incidents reads their metrics: responders, commanders, executives, admins."""

    permission_classes = [IncidentAccess]

    @document(
        tags=TAG,
        parameters=[s.MetricsFilterSerializer],
        responses=s.CommunicationMetricsSerializer,
    )
    def get(self, request: Request) -> Response:
        """Communication metrics per incident and by severity, model and month; drills apart.

        Computed from the decision log, milestones, cadence deadlines and
        ratings (definitions: docs/metrics.md). Durations are seconds on each
        incident's own clock. A bad filter answers 400 naming it; an unknown
        model slug answers 404 naming `model`.
        """
        query = s.MetricsFilterSerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        filters = query.filters()
        if filters.model and not MonitoredModel.objects.filter(slug=filters.model).exists():
            message = f"No monitored model has the slug {filters.model!r}."
            return error_response(404, "not_found", f"model: {message}", {"model": [message]})
        data = s.report_data(metrics.report(filters))
        return Response(s.CommunicationMetricsSerializer(data).data)
