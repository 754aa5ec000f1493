"""Monitored ML models (read only here) with their impact rules."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.incidents.permissions import IncidentAccess
from api.monitored_models import serializers as s
from incidents.models import MonitoredModel
from kit.openapi import document

TAG = ["models"]


class ModelListView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.MonitoredModelSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List the watched models with their impact rules."""
        return self.paginated(
            MonitoredModel.objects.prefetch_related("impact_rules"), s.MonitoredModelSerializer
        )


class ModelDetailView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.MonitoredModelSerializer)
    def get(self, request: Request, slug: str) -> Response:
        """Show a watched model with its impact rules."""
        model = get_object_or_404(
            MonitoredModel.objects.prefetch_related("impact_rules"), slug=slug
        )
        return Response(s.MonitoredModelSerializer(model).data)
