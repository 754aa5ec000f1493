"""The outbox, read only, for operators."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.deliveries import serializers as s
from api.deliveries.permissions import DeliveryAccess
from comms.models import Delivery
from kit.openapi import document


def delivery_queryset() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("update", "user").order_by("-created_at", "-pk")


class DeliveryListView(ApiView):
    permission_classes = [DeliveryAccess]

    @document(
        tags=["deliveries"],
        parameters=[s.DeliveryFilterSerializer],
        responses=s.DeliverySerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """List deliveries, newest first; filter by incident, status, channel and kind."""
        filters = s.DeliveryFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        deliveries = delivery_queryset()
        if "incident" in wanted:
            deliveries = deliveries.filter(incident_id=wanted["incident"])
        for name in ("status", "channel", "kind"):
            if name in wanted:
                deliveries = deliveries.filter(**{name: wanted[name]})
        return self.paginated(deliveries, s.DeliverySerializer)


class DeliveryDetailView(ApiView):
    permission_classes = [DeliveryAccess]

    @document(tags=["deliveries"], responses=s.DeliveryDetailSerializer)
    def get(self, request: Request, delivery_id: UUID) -> Response:
        """Show a delivery with its payload and every attempt."""
        delivery = get_object_or_404(
            delivery_queryset().prefetch_related("attempt_log"), pk=delivery_id
        )
        return Response(s.DeliveryDetailSerializer(delivery).data)
