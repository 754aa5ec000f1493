"""Health metrics of a monitored model: monitoring jobs post points, people read them."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import HashedTokenAuthentication
from api.base import ApiView
from api.health_metrics import serializers as s
from api.health_metrics.permissions import MetricsKeyOrIncidentAccess
from incidents.health_metrics import PointIn, ingest_metric_points
from incidents.models import MetricPoint, MonitoredModel
from integrations.authentication import MetricsKeyAuthentication
from kit.openapi import document

TAG = ["models"]


class MetricListView(ApiView):
    # Token first: its keyword is the one a 401 names in WWW-Authenticate.
    authentication_classes = [
        HashedTokenAuthentication,
        MetricsKeyAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [MetricsKeyOrIncidentAccess]

    @document(
        tags=TAG,
        parameters=[s.MetricFilterSerializer],
        responses=s.MetricPointSerializer(many=True),
    )
    def get(self, request: Request, slug: str) -> Response:
        """List a model's metric points by metric and time; drill points only on request."""
        model = get_object_or_404(MonitoredModel, slug=slug)
        filters = s.MetricFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        points = MetricPoint.objects.filter(model=model, is_drill=wanted["is_drill"])
        if "metric" in wanted:
            points = points.filter(metric=wanted["metric"])
        if "since" in wanted:
            points = points.filter(timestamp__gte=wanted["since"])
        if "until" in wanted:
            points = points.filter(timestamp__lte=wanted["until"])
        return self.paginated(points.order_by("metric", "timestamp"), s.MetricPointSerializer)

    @document(tags=TAG, request=s.MetricBatchSerializer, responses=s.MetricBatchResultSerializer)
    def post(self, request: Request, slug: str) -> Response:
        """Store up to 10 000 points; re-sending a point overwrites it (idempotent)."""
        model = get_object_or_404(MonitoredModel, slug=slug)
        body = s.MetricBatchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        points = [PointIn(**p) for p in body.validated_data["points"]]
        stored = ingest_metric_points(
            model=model, points=points, is_drill=body.validated_data["is_drill"]
        )
        return Response({"model": model.slug, "received": len(points), "stored": stored})
