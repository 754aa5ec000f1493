"""Incidents, their severity, impact, milestones and roles."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user, get_incident
from api.incidents import serializers as s
from api.incidents.permissions import DeclareAccess, IncidentAccess
from comms import workflows
from incidents import services
from incidents.choices import EntryKind, Source
from incidents.models import AffectedModel, Incident, Milestone, RoleAssignment
from kit.openapi import document

TAG = ["incidents"]


def incident_list_queryset() -> QuerySet[Incident]:
    """Incidents with what a list row shows, in a constant number of queries."""
    return Incident.objects.prefetch_related(
        Prefetch(
            "affected_links", queryset=AffectedModel.objects.select_related("model").order_by("id")
        ),
        Prefetch(
            "roles",
            queryset=RoleAssignment.objects.active().select_related("user", "assigned_by"),
            to_attr="active_roles",
        ),
    )


def incident_detail_queryset() -> QuerySet[Incident]:
    """Add milestones, the creator and the log counts to the list queryset."""
    entries = "log_entries"
    return (
        incident_list_queryset()
        .select_related("created_by")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.select_related("recorded_by"))
        )
        .annotate(
            log_entry_count=Count(entries, distinct=True),
            decision_count=Count(
                entries, filter=Q(log_entries__kind=EntryKind.DECISION), distinct=True
            ),
            decision_request_count=Count(
                entries, filter=Q(log_entries__kind=EntryKind.DECISION_REQUEST), distinct=True
            ),
            correction_count=Count(
                entries, filter=Q(log_entries__kind=EntryKind.CORRECTION), distinct=True
            ),
        )
    )


def incident_response(incident_id: int, status_code: int = status.HTTP_200_OK) -> Response:
    """Answer with the incident as the detail endpoint shows it."""
    incident = get_object_or_404(incident_detail_queryset(), pk=incident_id)
    return Response(s.IncidentDetailSerializer(incident).data, status=status_code)


class IncidentListView(ApiView):
    permission_classes = [DeclareAccess]

    @document(
        tags=TAG, parameters=[s.IncidentFilterSerializer], responses=s.IncidentSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        """List incidents, newest first; filter by phase, severity, model and drill flag."""
        filters = s.IncidentFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        incidents = incident_list_queryset()
        if "phase" in wanted:
            incidents = incidents.filter(phase=wanted["phase"])
        if "severity" in wanted:
            incidents = incidents.filter(severity=wanted["severity"])
        if "model" in wanted:
            incidents = incidents.filter(
                pk__in=AffectedModel.objects.filter(model=wanted["model"]).values("incident_id")
            )
        if wanted.get("is_drill") is not None:
            incidents = incidents.filter(is_drill=wanted["is_drill"])
        return self.paginated(incidents, s.IncidentSerializer)

    @document(
        tags=TAG, request=s.DeclareIncidentSerializer, responses={201: s.IncidentDetailSerializer}
    )
    def post(self, request: Request) -> Response:
        """Declare an incident; the declarer becomes its commander."""
        body = s.DeclareIncidentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = workflows.declare_incident(
            by=acting_user(request), source=Source.API, **body.validated_data
        )
        response = incident_response(incident.pk, status.HTTP_201_CREATED)
        response["Location"] = reverse("v1:incident-detail", args=[incident.pk])
        return response


class IncidentDetailView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.IncidentDetailSerializer)
    def get(self, request: Request, incident_id: int) -> Response:
        """Show an incident with its models, active roles, milestones and log counts."""
        return incident_response(incident_id)


class SeverityView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, request=s.SeverityChangeSerializer, responses=s.IncidentDetailSerializer)
    def post(self, request: Request, incident_id: int) -> Response:
        """Change the severity (a decision right: by default the commander's)."""
        incident = get_incident(incident_id)
        body = s.SeverityChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        workflows.change_severity(incident=incident, by=acting_user(request), **body.validated_data)
        return incident_response(incident.pk)


class ImpactView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, request=s.ImpactUpdateSerializer, responses=s.IncidentDetailSerializer)
    def post(self, request: Request, incident_id: int) -> Response:
        """Revise some impact figures; the log keeps the previous values."""
        incident = get_incident(incident_id)
        body = s.ImpactUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_impact(incident=incident, by=acting_user(request), **body.validated_data)
        return incident_response(incident.pk)


class MilestoneListView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.MilestoneSerializer(many=True))
    def get(self, request: Request, incident_id: int) -> Response:
        """List the phases the incident has reached, in order."""
        incident = get_incident(incident_id)
        milestones = (
            Milestone.objects.filter(incident=incident)
            .select_related("recorded_by")
            .order_by("reached_at", "id")
        )
        return self.paginated(milestones, s.MilestoneSerializer)

    @document(tags=TAG, request=s.MilestoneInSerializer, responses={201: s.MilestoneSerializer})
    def post(self, request: Request, incident_id: int) -> Response:
        """Move the incident to a later phase, proved by an observable indicator."""
        incident = get_incident(incident_id)
        body = s.MilestoneInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        milestone = workflows.reach_milestone(
            incident=incident, by=acting_user(request), **body.validated_data
        )
        return Response(s.MilestoneSerializer(milestone).data, status=status.HTTP_201_CREATED)


class RoleListView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, responses=s.RoleAssignmentSerializer(many=True))
    def get(self, request: Request, incident_id: int) -> Response:
        """List every assignment, past and present, oldest first."""
        incident = get_incident(incident_id)
        assignments = (
            RoleAssignment.objects.filter(incident=incident)
            .select_related("user", "assigned_by")
            .order_by("started_at", "id")
        )
        return self.paginated(assignments, s.RoleAssignmentSerializer)

    @document(
        tags=TAG, request=s.RoleAssignInSerializer, responses={201: s.RoleAssignmentSerializer}
    )
    def post(self, request: Request, incident_id: int) -> Response:
        """Assign a role; if someone holds it, hand it off (their assignment ends)."""
        incident = get_incident(incident_id)
        body = s.RoleAssignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = services.assign_role(
            incident=incident, by=acting_user(request), **body.validated_data
        )
        return Response(s.RoleAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class RoleReleaseView(ApiView):
    permission_classes = [IncidentAccess]

    @document(tags=TAG, request=s.RoleReleaseInSerializer, responses={204: None})
    def post(self, request: Request, incident_id: int) -> Response:
        """End the current holder's assignment without a successor."""
        incident = get_incident(incident_id)
        body = s.RoleReleaseInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.release_role(incident=incident, by=acting_user(request), **body.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
