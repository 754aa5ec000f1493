"""The decision log: append and read only, and verify its hash chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user, get_incident
from api.decision_log import serializers as s
from api.incidents.permissions import IncidentAccess
from incidents import decisions
from incidents.choices import EntryKind
from incidents.decision_log.checkpoints import verify_log
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident
from kit.openapi import document

TAG = ["log"]

Writer = Callable[..., DecisionLogEntry]


def _write_note(*, incident: Incident, by: Any, kind: str, text: str) -> DecisionLogEntry:
    return decisions.add_entry(incident=incident, by=by, kind=kind, text=text)


def _write_reference(*, incident: Incident, by: Any, kind: str, **fields: Any) -> DecisionLogEntry:
    return decisions.add_reference(incident=incident, by=by, **fields)


def _write_decision(*, incident: Incident, by: Any, kind: str, **fields: Any) -> DecisionLogEntry:
    return decisions.record_decision(incident=incident, by=by, **fields)


def _write_request(*, incident: Incident, by: Any, kind: str, **fields: Any) -> DecisionLogEntry:
    return decisions.request_decision(incident=incident, by=by, **fields)


def _write_correction(
    *, incident: Incident, by: Any, kind: str, corrects: DecisionLogEntry, text: str
) -> DecisionLogEntry:
    return decisions.correct_entry(incident=incident, entry=corrects, by=by, text=text)


# Each kind a client may append goes to the one service that writes it.
WRITERS: dict[str, Writer] = {
    EntryKind.NOTE: _write_note,
    EntryKind.ACTION: _write_note,
    EntryKind.REFERENCE: _write_reference,
    EntryKind.DECISION: _write_decision,
    EntryKind.DECISION_REQUEST: _write_request,
    EntryKind.CORRECTION: _write_correction,
}

LOG_ENTRY_REQUEST = PolymorphicProxySerializer(
    component_name="LogEntryCreate",
    serializers={str(kind): serializer for kind, serializer in s.LOG_ENTRY_INPUTS.items()},
    resource_type_field_name="kind",
)


class LogListView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.LogEntrySerializer(many=True))
    def get(self, request: Request, incident_id: int) -> Response:
        """List the incident's log in sequence order."""
        incident = get_incident(incident_id)
        entries = (
            DecisionLogEntry.objects.filter(incident=incident)
            .select_related("corrects")
            .order_by("sequence")
        )
        return self.paginated(entries, s.LogEntrySerializer)

    @document(tags=TAG, request=LOG_ENTRY_REQUEST, responses={201: s.LogEntrySerializer})
    def post(self, request: Request, incident_id: int) -> Response:
        """Append a note, action, reference, decision, decision request or correction."""
        incident = get_incident(incident_id)
        kind = s.LogKindSerializer(data=request.data)
        kind.is_valid(raise_exception=True)
        body = s.LOG_ENTRY_INPUTS[kind.validated_data["kind"]](
            data=request.data, context={"incident": incident}
        )
        body.is_valid(raise_exception=True)
        entry = WRITERS[body.validated_data["kind"]](
            incident=incident, by=acting_user(request), **body.validated_data
        )
        return Response(s.LogEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class LogEntryView(ApiView):
    """One entry. Entries never change: PUT, PATCH and DELETE answer 405."""

    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.LogEntrySerializer)
    def get(self, request: Request, incident_id: int, sequence: int) -> Response:
        """Show one log entry by its position in the chain."""
        entry = get_object_or_404(
            DecisionLogEntry.objects.select_related("corrects"),
            incident_id=incident_id,
            sequence=sequence,
        )
        return Response(s.LogEntrySerializer(entry).data)


class LogVerifyView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.ChainReportSerializer)
    def get(self, request: Request, incident_id: int) -> Response:
        """Recompute the hash chain, check it against the signed checkpoints, and report what fails first."""
        incident = get_incident(incident_id)
        return Response(s.ChainReportSerializer(verify_log(incident.pk)).data)
