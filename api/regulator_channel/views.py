"""The regulator channel: published, signed-off regulator renditions across incidents."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user
from api.regulator_channel import serializers as s
from api.regulator_channel.permissions import RegulatorChannelAccess
from audit.middleware import mark_regulator_read
from comms.models import Rendition, StatusUpdate
from incidents.choices import Audience
from incidents.visibility import real_or_joined
from kit.openapi import document


def regulator_queryset(user: AbstractBaseUser) -> QuerySet[Rendition]:
    """Published, signed-off regulator renditions; a drill's only for those in that drill."""
    return (
        Rendition.objects.filter(
            real_or_joined(user, path="update__incident"),
            audience=Audience.REGULATOR,
            update__status=StatusUpdate.Status.PUBLISHED,
            signed_off_at__isnull=False,
        )
        .select_related("update__incident")
        .order_by("-update__published_at", "-pk")
    )


class RegulatorUpdateListView(ApiView):
    permission_classes = [RegulatorChannelAccess]

    @document(tags=["regulator"], responses=s.RegulatorUpdateSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List published, signed-off regulator renditions across incidents, newest first."""
        mark_regulator_read(request)  # the audit trail records who read the disclosures
        return self.paginated(regulator_queryset(acting_user(request)), s.RegulatorUpdateSerializer)


class RegulatorUpdateDetailView(ApiView):
    permission_classes = [RegulatorChannelAccess]

    @document(tags=["regulator"], responses=s.RegulatorUpdateSerializer)
    def get(self, request: Request, rendition_id: int) -> Response:
        """Show one published, signed-off regulator rendition."""
        rendition = get_object_or_404(regulator_queryset(acting_user(request)), pk=rendition_id)
        mark_regulator_read(request)
        return Response(s.RegulatorUpdateSerializer(rendition).data)
