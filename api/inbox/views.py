"""Each user's in-app inbox: list, mark one read, mark all read."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.shortcuts import get_object_or_404
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user
from api.inbox import serializers as s
from api.subscriptions.permissions import SelfServiceAccess
from comms import inbox
from kit.openapi import document


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
        paginator.unread = inbox.unread_count(acting_user(request))
        page = paginator.paginate_queryset(inbox.inbox_of(acting_user(request)), request, view=self)
        return paginator.get_paginated_response(s.InboxItemSerializer(page, many=True).data)


class InboxReadView(ApiView):
    permission_classes = [SelfServiceAccess]

    @document(tags=["inbox"], request=None, responses=s.InboxItemSerializer)
    def post(self, request: Request, delivery_id: UUID) -> Response:
        """Mark one of your messages read."""
        delivery = get_object_or_404(inbox.inbox_of(acting_user(request)), pk=delivery_id)
        return Response(
            s.InboxItemSerializer(inbox.mark_read(delivery=delivery, by=acting_user(request))).data
        )


class InboxReadAllView(ApiView):
    permission_classes = [SelfServiceAccess]

    @document(tags=["inbox"], request=None, responses=s.ReadAllSerializer)
    def post(self, request: Request) -> Response:
        """Mark all your messages read."""
        marked = inbox.mark_all_read(by=acting_user(request))
        return Response(s.ReadAllSerializer({"marked": marked, "unread": 0}).data)
