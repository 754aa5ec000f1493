"""Regulatory obligations of an incident: triage, moments, countdowns, report drafts and exports."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, MarkdownRenderer, PdfRenderer, acting_user, get_incident
from api.obligations import serializers as s
from api.obligations.permissions import ObligationAccess
from incidents.decision_log.chain import actor_label_for
from kit.openapi import document
from regulatory import drafts, regimes, services
from regulatory.models import Obligation, RegulatoryReport

TAG = ["regulatory"]

TRIAGE_REQUEST = PolymorphicProxySerializer(
    component_name="TriageCreate",
    serializers=dict(s.TRIAGE_INPUTS),
    resource_type_field_name="regime",
)


def _label(user: Any) -> str | None:
    return actor_label_for(user) if user is not None else None


def report_data(report: RegulatoryReport) -> dict[str, Any]:
    obligation = report.obligation
    regime = regimes.get(obligation.regime)
    spec = regime.report(obligation.report) if regime else None
    labels = [(f.key, f.label) for f in spec.fields] if spec else []
    return {
        "obligation": obligation.pk,
        "title": obligation.title,
        "status": report.status,
        "content": [
            {"key": k, "label": label, "value": report.fields.get(k, "")} for k, label in labels
        ],
        "edited_by": _label(report.edited_by),
        "edited_at": report.edited_at if report.pk else None,
        "signed_off_by": _label(report.signed_off_by),
        "signed_off_at": report.signed_off_at,
        "submitted_by": _label(report.submitted_by),
        "submitted_at": report.submitted_at,
        "channel": report.channel,
        "authority_reference": report.authority_reference,
    }


def _obligation(incident_id: int, obligation_id: int) -> Obligation:
    return get_object_or_404(
        Obligation.objects.select_related("incident"), pk=obligation_id, incident_id=incident_id
    )


class RegimeListView(ApiView):
    permission_classes = [ObligationAccess]

    @document(tags=TAG, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        """The reporting regimes the console knows: source, questions, reports and their clocks."""
        return Response({"regimes": [r.as_dict() for r in regimes.all_regimes().values()]})


class ObligationListView(ApiView):
    permission_classes = [ObligationAccess]

    @document(tags=TAG, responses=s.ObligationSerializer(many=True))
    def get(self, request: Request, incident_id: int) -> Response:
        """The incident's regulatory deadlines with their countdowns (cancelled ones last)."""
        return self.paginated(
            services.obligations_for(get_incident(incident_id)), s.ObligationSerializer
        )


class TriageView(ApiView):
    permission_classes = [ObligationAccess]

    @document(tags=TAG, responses=s.TriageStateSerializer)
    def get(self, request: Request, incident_id: int) -> Response:
        """Each regime's questions with the current answers, and the moments clocks start from."""
        return Response(
            s.TriageStateSerializer(services.triage_state(get_incident(incident_id))).data
        )

    @document(tags=TAG, request=TRIAGE_REQUEST, responses={201: s.TriageStateSerializer})
    def post(self, request: Request, incident_id: int) -> Response:
        """Answer one regime's questions (regulator liaison or commander); the clocks re-plan; logged."""
        incident = get_incident(incident_id)
        regime = request.data.get("regime") if isinstance(request.data, dict) else None
        serializer = s.TRIAGE_INPUTS.get(regime) if isinstance(regime, str) else None
        if serializer is None:
            raise ValidationError({"regime": [f"One of {', '.join(s.TRIAGE_INPUTS)}."]})
        body = serializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.triage(
            incident=incident,
            by=acting_user(request),
            regime=body.validated_data["regime"],
            answers=dict(body.validated_data["answers"]),
        )
        return Response(
            s.TriageStateSerializer(services.triage_state(incident)).data,
            status=status.HTTP_201_CREATED,
        )


class MomentView(ApiView):
    permission_classes = [ObligationAccess]

    @document(tags=TAG, request=s.MomentSerializer, responses={201: s.TriageStateSerializer})
    def post(self, request: Request, incident_id: int) -> Response:
        """Record when we became aware, or classified the incident as major; the clocks re-plan; logged."""
        incident = get_incident(incident_id)
        body = s.MomentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.record_moment(incident=incident, by=acting_user(request), **body.validated_data)
        return Response(
            s.TriageStateSerializer(services.triage_state(incident)).data,
            status=status.HTTP_201_CREATED,
        )


class ReportView(ApiView):
    permission_classes = [ObligationAccess]

    @document(tags=TAG, responses=s.ReportSerializer)
    def get(self, request: Request, incident_id: int, obligation_id: int) -> Response:
        """The report draft, pre-filled from the incident until someone saves it."""
        return Response(report_data(services.report_of(_obligation(incident_id, obligation_id))))

    @document(tags=TAG, request=s.ReportEditSerializer, responses=s.ReportSerializer)
    def patch(self, request: Request, incident_id: int, obligation_id: int) -> Response:
        """Save fields of the draft; a change after sign-off voids the sign-off."""
        body = s.ReportEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.edit_report(
            obligation=_obligation(incident_id, obligation_id),
            by=acting_user(request),
            fields=body.validated_data["content"],
        )
        return Response(report_data(report))


class ReportSignOffView(ApiView):
    permission_classes = [ObligationAccess]

    @document(tags=TAG, request=None, responses=s.ReportSerializer)
    def post(self, request: Request, incident_id: int, obligation_id: int) -> Response:
        """Sign the report off: someone other than its last editor (four eyes); logged."""
        report = services.sign_off_report(
            obligation=_obligation(incident_id, obligation_id), by=acting_user(request)
        )
        return Response(report_data(report))


class ReportSubmitView(ApiView):
    permission_classes = [ObligationAccess]

    @document(tags=TAG, request=s.SubmitSerializer, responses=s.ReportSerializer)
    def post(self, request: Request, incident_id: int, obligation_id: int) -> Response:
        """Record the submission of the signed-off report: when, how, the authority's reference; logged."""
        body = s.SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = services.submit_report(
            obligation=_obligation(incident_id, obligation_id),
            by=acting_user(request),
            **body.validated_data,
        )
        return Response(report_data(report))


def _download(
    report: RegulatoryReport, data: bytes, content_type: str, extension: str
) -> HttpResponse:
    obligation = report.obligation
    name = f"{obligation.incident.reference}-{obligation.regime}-{obligation.report}.{extension}"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


class ReportMarkdownView(ApiView):
    permission_classes = [ObligationAccess]
    renderer_classes = [JSONRenderer, MarkdownRenderer]

    @document(tags=TAG, responses={(200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request: Request, incident_id: int, obligation_id: int) -> HttpResponse:
        """The report as Markdown (a draft says so at the top)."""
        report = services.report_of(_obligation(incident_id, obligation_id))
        return _download(
            report, drafts.to_markdown(report).encode(), "text/markdown; charset=utf-8", "md"
        )


class ReportPdfView(ApiView):
    permission_classes = [ObligationAccess]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @document(tags=TAG, responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request: Request, incident_id: int, obligation_id: int) -> HttpResponse:
        """The report as PDF, rendered in-process (a draft says so at the top)."""
        report = services.report_of(_obligation(incident_id, obligation_id))
        return _download(report, drafts.to_pdf(report), "application/pdf", "pdf")
