"""Cadence deadlines of an incident: read them, snooze one."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user, get_incident
from api.deadlines import serializers as s
from api.updates.permissions import UpdateAccess
from comms import cadence
from comms.models import Deadline
from kit.openapi import document


class DeadlineListView(ApiView):
    permission_classes = [UpdateAccess]

    @document(
        tags=["cadence"],
        parameters=[s.DeadlineFilterSerializer],
        responses=s.DeadlineSerializer(many=True),
    )
    def get(self, request: Request, incident_id: int) -> Response:
        """List the incident's deadlines, latest first, open and past (met, missed, cancelled)."""
        incident = get_incident(incident_id)
        filters = s.DeadlineFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        deadlines = (
            Deadline.objects.filter(incident=incident)
            .select_related("opened_by", "fulfilled_by", "snoozed_by")
            .order_by("-due_at", "-pk")
        )
        is_open = filters.validated_data.get("is_open")
        if is_open is True:
            deadlines = deadlines.open()
        elif is_open is False:
            deadlines = deadlines.exclude(fulfilled_at__isnull=True, cancelled_at__isnull=True)
        return self.paginated(deadlines, s.DeadlineSerializer)


class DeadlineSnoozeView(ApiView):
    permission_classes = [UpdateAccess]

    @document(tags=["cadence"], request=s.SnoozeSerializer, responses=s.DeadlineSerializer)
    def post(self, request: Request, incident_id: int, deadline_id: int) -> Response:
        """Push a deadline back once, with a reason (the incident commander's call; logged)."""
        deadline = get_object_or_404(Deadline, pk=deadline_id, incident_id=incident_id)
        body = s.SnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deadline = cadence.snooze(deadline=deadline, by=acting_user(request), **body.validated_data)
        fresh = Deadline.objects.select_related("opened_by", "fulfilled_by", "snoozed_by").get(
            pk=deadline.pk
        )
        return Response(s.DeadlineSerializer(fresh).data)
