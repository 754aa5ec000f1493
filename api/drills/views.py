"""Drills: the scenario library, starting and ending drills, their debriefs and improvements.

Incident readers (responders, commanders, executives, admins) read;
commander-eligible users (and admins) start, end and abort drills and record
improvements. learning.drills checks again, so no client steps around it.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user
from api.drills import serializers as s
from api.drills.permissions import DrillAccess
from kit.errors import Conflict
from kit.openapi import ErrorSerializer, document
from learning.drills import library, runs
from learning.models import ActionItem, Drill, DrillStep

TAG = ["drills"]


def drill_queryset() -> QuerySet[Drill]:
    """Drills with what a list row shows, in one query."""
    return Drill.objects.select_related("incident", "started_by").annotate(
        steps_total=Count("steps"),
        steps_applied=Count("steps", filter=Q(steps__applied_at__isnull=False)),
    )


def drill_response(drill_id: int, status_code: int = status.HTTP_200_OK) -> Response:
    drill = get_object_or_404(
        drill_queryset().prefetch_related(
            Prefetch("steps", queryset=DrillStep.objects.order_by("index"))
        ),
        pk=drill_id,
    )
    return Response(s.DrillDetailSerializer(drill).data, status=status_code)


class ScenarioListView(ApiView):
    permission_classes = [DrillAccess]
    # A handful of files: the whole library, unpaginated.
    pagination_class = None  # type: ignore[assignment]

    @document(tags=TAG, responses=s.ScenarioSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List the scenario library: traces, injected events, expected milestones and targets."""
        return Response(s.ScenarioSerializer(list(library.scenarios().values()), many=True).data)


class DrillListView(ApiView):
    permission_classes = [DrillAccess]

    @document(tags=TAG, responses=s.DrillSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List drills, latest first."""
        return self.paginated(drill_queryset().order_by("-started_at", "-pk"), s.DrillSerializer)

    @document(tags=TAG, request=s.DrillStartSerializer, responses={201: s.DrillDetailSerializer})
    def post(self, request: Request) -> Response:
        """Start a drill: declare its drill incident and replay the scenario at `clock_factor`×."""
        body = s.DrillStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        drill = runs.start_drill(by=acting_user(request), **body.validated_data)
        return drill_response(drill.pk, status.HTTP_201_CREATED)


class DrillDetailView(ApiView):
    permission_classes = [DrillAccess]

    @document(tags=TAG, responses=s.DrillDetailSerializer)
    def get(self, request: Request, drill_id: int) -> Response:
        """Show a drill with every replay step (applied or still due)."""
        return drill_response(drill_id)


class DrillEndView(ApiView):
    permission_classes = [DrillAccess]
    abort = False

    @document(tags=TAG, request=None, responses=s.DrillDetailSerializer)
    def post(self, request: Request, drill_id: int) -> Response:
        """End the drill now (remaining steps are skipped), resolve its incident and compute the debrief."""
        drill = get_object_or_404(Drill, pk=drill_id)
        (runs.abort_drill if self.abort else runs.end_drill)(drill=drill, by=acting_user(request))
        return drill_response(drill_id)


class DrillAbortView(DrillEndView):
    abort = True

    @document(tags=TAG, request=None, responses=s.DrillDetailSerializer)
    def post(self, request: Request, drill_id: int) -> Response:
        """Abort the drill: as ending, but the drill is marked aborted."""
        return super().post(request, drill_id)


def improvements_of(drill: Drill) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(drill=drill).select_related("owner").order_by("due_at", "pk")


class DebriefView(ApiView):
    permission_classes = [DrillAccess]

    @document(tags=TAG, responses={200: s.DebriefSerializer, 409: ErrorSerializer})
    def get(self, request: Request, drill_id: int) -> Response:
        """The debrief: scores against the scenario's targets, missed deadlines, improvements (409 while running)."""
        drill = get_object_or_404(Drill, pk=drill_id)
        if not drill.debriefed_at:
            raise Conflict("The drill is still running; its debrief comes when it ends.")
        data = {**drill.debrief, "drill": drill.pk, "improvements": list(improvements_of(drill))}
        return Response(s.DebriefSerializer(data).data)


class ImprovementListView(ApiView):
    permission_classes = [DrillAccess]

    @document(tags=TAG, responses=s.ImprovementSerializer(many=True))
    def get(self, request: Request, drill_id: int) -> Response:
        """List the improvements (action items) recorded from the drill's debrief."""
        drill = get_object_or_404(Drill, pk=drill_id)
        return self.paginated(improvements_of(drill), s.ImprovementSerializer)

    @document(tags=TAG, request=s.ImprovementInSerializer, responses={201: s.ImprovementSerializer})
    def post(self, request: Request, drill_id: int) -> Response:
        """Record an improvement with an owner and a due date (an action item of the drill)."""
        drill = get_object_or_404(Drill.objects.select_related("incident"), pk=drill_id)
        body = s.ImprovementInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = runs.add_improvement(drill=drill, by=acting_user(request), **body.validated_data)
        fresh = ActionItem.objects.select_related("owner").get(pk=item.pk)
        return Response(s.ImprovementSerializer(fresh).data, status=status.HTTP_201_CREATED)
