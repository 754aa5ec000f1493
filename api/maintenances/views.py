"""Scheduled maintenance: list, schedule, show, and take a step (announce, start, complete, cancel)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user
from api.maintenances import serializers as s
from api.maintenances.permissions import MaintenanceAccess
from kit.openapi import document
from publicstatus import maintenance as services
from publicstatus.models import Maintenance

TAG = ["maintenances"]


def maintenance_queryset() -> QuerySet[Maintenance]:
    return Maintenance.objects.prefetch_related("components", "updates").order_by(
        "-scheduled_for", "-pk"
    )


class MaintenanceListView(ApiView):
    permission_classes = [MaintenanceAccess]

    @document(tags=TAG, responses=s.MaintenanceSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List maintenance windows, drafts included, latest start first."""
        return self.paginated(maintenance_queryset(), s.MaintenanceSerializer)

    @document(
        tags=TAG, request=s.MaintenanceCreateSerializer, responses={201: s.MaintenanceSerializer}
    )
    def post(self, request: Request) -> Response:
        """Schedule a window as a private draft (commanders): announce it to publish it."""
        body = s.MaintenanceCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.schedule_maintenance(by=acting_user(request), **body.validated_data)
        response = Response(
            s.MaintenanceSerializer(maintenance_queryset().get(pk=created.pk)).data, status=201
        )
        response["Location"] = reverse("v1:maintenance-detail", args=[created.pk])
        return response


class MaintenanceDetailView(ApiView):
    permission_classes = [MaintenanceAccess]

    @document(tags=TAG, responses=s.MaintenanceSerializer)
    def get(self, request: Request, maintenance_id: int) -> Response:
        """Show one window with its public updates."""
        return Response(
            s.MaintenanceSerializer(
                get_object_or_404(maintenance_queryset(), pk=maintenance_id)
            ).data
        )


class MaintenanceStepView(ApiView):
    permission_classes = [MaintenanceAccess]

    @document(tags=TAG, request=s.MaintenanceStepSerializer, responses=s.MaintenanceSerializer)
    def post(self, request: Request, maintenance_id: int) -> Response:
        """Announce, start, complete or cancel a window (409 when out of order)."""
        maintenance = get_object_or_404(Maintenance, pk=maintenance_id)
        body = s.MaintenanceStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        step = services.STEPS[body.validated_data["step"]]
        step(maintenance, by=acting_user(request), body=body.validated_data.get("body", ""))
        return Response(s.MaintenanceSerializer(maintenance_queryset().get(pk=maintenance_id)).data)
