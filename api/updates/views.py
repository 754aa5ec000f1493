"""Status updates of an incident: draft, edit, submit, sign off, publish, check jargon."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user, get_incident
from api.updates import serializers as s
from api.updates.permissions import UpdateAccess
from comms import services
from comms.models import Rendition, StatusUpdate
from incidents import permissions
from kit.openapi import document

TAG = ["updates"]


def update_queryset(user: User) -> QuerySet[StatusUpdate]:
    """Updates with what the serializer shows; executives see published ones only."""
    updates = StatusUpdate.objects.select_related(
        "corrects", "author", "published_by", "jargon_acknowledged_by", "log_entry"
    ).prefetch_related(
        Prefetch(
            "renditions",
            queryset=Rendition.objects.select_related("signed_off_by").order_by("audience"),
        )
    )
    if not permissions.can_respond(user):
        updates = updates.filter(status=StatusUpdate.Status.PUBLISHED)
    return updates


def get_update(request: Request, incident_id: int, number: int) -> StatusUpdate:
    """Return the update, or 404 (also for a draft the caller may not see)."""
    return get_object_or_404(
        update_queryset(acting_user(request)), incident_id=incident_id, number=number
    )


def update_response(
    request: Request, update: StatusUpdate, status_code: int = status.HTTP_200_OK
) -> Response:
    fresh = get_update(request, update.incident_id, update.number)
    return Response(s.UpdateSerializer(fresh).data, status=status_code)


class UpdateListView(ApiView):
    permission_classes = [UpdateAccess]

    @document(
        tags=TAG, parameters=[s.UpdateFilterSerializer], responses=s.UpdateSerializer(many=True)
    )
    def get(self, request: Request, incident_id: int) -> Response:
        """List the incident's updates, newest first; executives see published ones only."""
        incident = get_incident(incident_id)
        filters = s.UpdateFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        updates = (
            update_queryset(acting_user(request)).filter(incident=incident).order_by("-number")
        )
        if "status" in filters.validated_data:
            updates = updates.filter(status=filters.validated_data["status"])
        return self.paginated(updates, s.UpdateSerializer)

    @document(tags=TAG, request=s.UpdateCreateSerializer, responses={201: s.UpdateSerializer})
    def post(self, request: Request, incident_id: int) -> Response:
        """Start a draft update; nothing is sent until it is published."""
        incident = get_incident(incident_id)
        body = s.UpdateCreateSerializer(data=request.data, context={"incident": incident})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        update = services.create_draft(
            incident=incident,
            by=acting_user(request),
            renditions=data.pop("renditions"),
            corrects=data.pop("corrects"),
            **data,
        )
        response = update_response(request, update, status.HTTP_201_CREATED)
        response["Location"] = reverse("v1:update-detail", args=[incident.pk, update.number])
        return response


class UpdateDetailView(ApiView):
    permission_classes = [UpdateAccess]

    @document(tags=TAG, responses=s.UpdateSerializer)
    def get(self, request: Request, incident_id: int, number: int) -> Response:
        """Show one update with its renditions."""
        return Response(s.UpdateSerializer(get_update(request, incident_id, number)).data)

    @document(tags=TAG, request=s.UpdateEditSerializer, responses=s.UpdateSerializer)
    def patch(self, request: Request, incident_id: int, number: int) -> Response:
        """Edit a draft; a published update answers 409 (publish a correction instead)."""
        update = get_update(request, incident_id, number)
        body = s.UpdateEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        update = services.edit_draft(update=update, by=acting_user(request), **body.validated_data)
        return update_response(request, update)


class UpdateSubmitView(ApiView):
    permission_classes = [UpdateAccess]

    @document(tags=TAG, request=None, responses=s.UpdateSerializer)
    def post(self, request: Request, incident_id: int, number: int) -> Response:
        """Ask the regulator liaison to sign off the regulator rendition."""
        update = services.submit_for_signoff(
            update=get_update(request, incident_id, number), by=acting_user(request)
        )
        return update_response(request, update)


class UpdateSignOffView(ApiView):
    permission_classes = [UpdateAccess]

    @document(tags=TAG, request=None, responses=s.UpdateSerializer)
    def post(self, request: Request, incident_id: int, number: int) -> Response:
        """Sign off the regulator rendition: only the incident's regulator liaison may."""
        update = services.sign_off(
            update=get_update(request, incident_id, number), by=acting_user(request)
        )
        return update_response(request, update)


class UpdatePublishView(ApiView):
    permission_classes = [UpdateAccess]

    @document(tags=TAG, request=s.PublishSerializer, responses=s.UpdateSerializer)
    def post(self, request: Request, incident_id: int, number: int) -> Response:
        """Publish: the update turns immutable, is logged, opens the next deadlines, fans out."""
        update = get_update(request, incident_id, number)
        body = s.PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        update = services.publish_update(
            update=update, by=acting_user(request), **body.validated_data
        )
        return update_response(request, update)


class UpdateJargonView(ApiView):
    permission_classes = [UpdateAccess]

    @document(tags=TAG, responses=s.UpdateJargonSerializer)
    def get(self, request: Request, incident_id: int, number: int) -> Response:
        """List the technical terms in the update's executive, regulator and customer renditions."""
        matches = services.jargon_in(get_update(request, incident_id, number))
        return Response(
            s.UpdateJargonSerializer({"matches": matches, "flagged": bool(matches)}).data
        )
