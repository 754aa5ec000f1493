"""The outbox (read only, for operators) and each user's in-app inbox."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api import serializers_comms as s
from api.permissions_comms import DeliveryAccess, SelfServiceAccess
from api.schema import document
from api.views.base import ApiView
from comms import inbox
from comms.models import Delivery


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


class InboxPagination(PageNumberPagination):
    """The paginated envelope plus the caller's unread count."""

    unread = 0

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data = {"unread": self.unread, **response.data}
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"] = {
            "unread": {"type": "integer", "example": 3},
            **envelope["properties"],
        }
        envelope["required"] = ["unread", *envelope.get("required", [])]
        return envelope


class InboxView(ApiView):
    permission_classes = [SelfServiceAccess]
    pagination_class = InboxPagination

    @document(tags=["inbox"], responses=s.InboxItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List your in-app messages, newest first, with the number still unread."""
        paginator = self.pagination_class()
        paginator.unread = inbox.unread_count(request.user)
        page = paginator.paginate_queryset(inbox.inbox_of(request.user), request, view=self)
        return paginator.get_paginated_response(s.InboxItemSerializer(page, many=True).data)


class InboxReadView(ApiView):
    permission_classes = [SelfServiceAccess]

    @document(tags=["inbox"], request=None, responses=s.InboxItemSerializer)
    def post(self, request: Request, delivery_id: UUID) -> Response:
        """Mark one of your messages read."""
        delivery = get_object_or_404(inbox.inbox_of(request.user), pk=delivery_id)
        return Response(
            s.InboxItemSerializer(inbox.mark_read(delivery=delivery, by=request.user)).data
        )


class InboxReadAllView(ApiView):
    permission_classes = [SelfServiceAccess]

    @document(tags=["inbox"], request=None, responses=s.ReadAllSerializer)
    def post(self, request: Request) -> Response:
        """Mark all your messages read."""
        marked = inbox.mark_all_read(by=request.user)
        return Response(s.ReadAllSerializer({"marked": marked, "unread": 0}).data)
