"""An incident's evidence pack: a ZIP a regulator verifies offline (manage.py verify_evidence)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from api.base import ApiView, ZipRenderer, acting_user, get_incident
from api.evidence.permissions import EvidenceAccess
from evidence.services import export_pack
from kit.openapi import document


class EvidencePackView(ApiView):
    permission_classes = [EvidenceAccess]
    renderer_classes = [JSONRenderer, ZipRenderer]

    @document(
        tags=["evidence"],
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The evidence pack: manifest.json (SHA-256 of every file), "
                "manifest.sig, decision-log.jsonl, chain-verification.json, checkpoints.json, "
                "updates.json and renditions/, obligations.json, review.json and review/. "
                "Check it with `manage.py verify_evidence PACK.zip --public-key KEY`.",
            )
        },
    )
    def get(self, request: Request, incident_id: int) -> HttpResponse:
        """Download the incident's evidence pack (commander, regulator liaison, commander-eligible users)."""
        pack, data = export_pack(incident=get_incident(incident_id), by=acting_user(request))
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
        response["Cache-Control"] = "private, no-store"
        response["X-Manifest-SHA256"] = pack.manifest_sha256
        return response
