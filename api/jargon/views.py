"""Check text for technical terms before it reaches a non-technical audience."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView
from api.jargon import serializers as s
from api.jargon.permissions import SignedInAccess
from comms.services import PLAIN_AUDIENCES
from glossary.jargon import find_jargon
from kit.openapi import document


class JargonCheckView(ApiView):
    permission_classes = [SignedInAccess]

    @document(
        tags=["glossary"], request=s.JargonCheckSerializer, responses=s.JargonResultSerializer
    )
    def post(self, request: Request) -> Response:
        """Find technical glossary terms (and their variants) in `text`.

        Matches are listed for every audience; `flagged` is true only when the
        audience needs plain language (executive, regulator, customer).
        """
        body = s.JargonCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        matches = find_jargon(body.validated_data["text"])
        flagged = bool(matches) and body.validated_data["audience"] in PLAIN_AUDIENCES
        return Response(s.JargonResultSerializer({"matches": matches, "flagged": flagged}).data)
