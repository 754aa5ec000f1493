"""Playbooks, read only: they are edited in the admin."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.incidents.permissions import IncidentAccess
from api.playbooks import serializers as s
from incidents.models import Playbook
from kit.openapi import document

TAG = ["playbooks"]


class PlaybookListView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.PlaybookSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List playbooks: cadence, escalation and decision rights per severity and tier."""
        return self.paginated(Playbook.objects.all(), s.PlaybookSerializer)


class PlaybookDetailView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.PlaybookSerializer)
    def get(self, request: Request, playbook_id: int) -> Response:
        """Show one playbook."""
        return Response(s.PlaybookSerializer(get_object_or_404(Playbook, pk=playbook_id)).data)
