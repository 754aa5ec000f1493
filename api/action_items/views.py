"""Action items over the API: from reviews and drill debriefs, with their owners and due dates.

Incident readers read (executives too); responders and commanders write. The
services in learning.actions decide the rest.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.action_items import serializers as s
from api.action_items.permissions import ActionItemAccess
from api.base import ApiView, acting_user
from kit.errors import DomainError
from kit.openapi import document
from learning import actions
from learning.models import ActionItem, Review

ITEMS_TAG = ["action items"]


def item_queryset() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("incident", "owner").order_by("due_at", "pk")


def item_response(item: ActionItem, status_code: int = status.HTTP_200_OK) -> Response:
    fresh = item_queryset().get(pk=item.pk)
    return Response(
        s.ActionItemSerializer(fresh, context={"now": timezone.now()}).data, status=status_code
    )


class ActionItemListView(ApiView):
    permission_classes = [ActionItemAccess]

    @document(
        tags=ITEMS_TAG,
        parameters=[s.ActionItemFilterSerializer],
        responses=s.ActionItemSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """List action items, earliest due first; filter by status, owner ("me"), overdue, category, incident."""
        filters = s.ActionItemFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        f, now = filters.validated_data, timezone.now()
        items = item_queryset()
        if "status" in f:
            items = items.filter(status=f["status"])
        if "owner" in f:
            items = items.filter(
                owner__username=acting_user(request).get_username()
                if f["owner"] == "me"
                else f["owner"]
            )
        overdue = Q(status__in=actions.OPEN_STATUSES, due_at__lte=now)
        if f.get("overdue") is True:
            items = items.filter(overdue)
        elif f.get("overdue") is False:
            items = items.exclude(overdue)
        if "category" in f:
            items = items.filter(category=f["category"])
        if "incident" in f:
            items = items.filter(incident_id=f["incident"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(
            s.ActionItemSerializer(page, many=True, context={"now": now}).data
        )

    @document(
        tags=ITEMS_TAG,
        request=s.ActionItemCreateSerializer,
        responses={201: s.ActionItemSerializer},
    )
    def post(self, request: Request) -> Response:
        """Record an action item on an incident (it joins the incident's review, if there is one)."""
        body = s.ActionItemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        from incidents.models import Incident

        incident = Incident.objects.filter(pk=data.pop("incident")).first()
        if incident is None:
            raise DomainError("No such incident.", field="incident")
        item = actions.create_action_item(
            incident=incident,
            by=acting_user(request),
            review=Review.objects.filter(incident=incident).first(),
            **data,
        )
        response = item_response(item, status.HTTP_201_CREATED)
        response["Location"] = reverse("v1:action-item-detail", args=[item.pk])
        return response


class ActionItemDetailView(ApiView):
    permission_classes = [ActionItemAccess]

    @document(tags=ITEMS_TAG, responses=s.ActionItemSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        """Show one action item."""
        return item_response(get_object_or_404(ActionItem, pk=item_id))

    @document(
        tags=ITEMS_TAG, request=s.ActionItemUpdateSerializer, responses=s.ActionItemSerializer
    )
    def patch(self, request: Request, item_id: int) -> Response:
        """Change status (responders), owner or due date (commanders); logged on the incident."""
        item = get_object_or_404(ActionItem, pk=item_id)
        body = s.ActionItemUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = actions.update_action_item(item=item, by=acting_user(request), **body.validated_data)
        return item_response(item)
