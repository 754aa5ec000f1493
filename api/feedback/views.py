"""Readers' feedback on an incident's updates, summarised."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, get_incident
from api.feedback import serializers as s
from api.updates.permissions import UpdateAccess
from comms import feedback
from kit.openapi import document


class FeedbackSummaryView(ApiView):
    permission_classes = [UpdateAccess]

    @document(tags=["updates"], responses=s.FeedbackSummarySerializer)
    def get(self, request: Request, incident_id: int) -> Response:
        """Average readers' ratings (clarity, usefulness 1–5): overall, per audience, per update."""
        summary = feedback.summarise(get_incident(incident_id))
        return Response(s.FeedbackSummarySerializer(summary).data)
