"""What every API view shares: pagination and incident lookup."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from api.schema import ApiAutoSchema
from incidents.models import Incident
from kit.parsers import BoundedJSONParser


class ApiView(APIView):
    """An APIView with page-number pagination; methods it lacks answer 405.

    Bodies are JSON only (other media types answer 415): form encodings cannot
    carry the nested objects and lists the schema describes, and one encoding
    keeps the schema's request bodies the only ones the fuzzing has to cover.
    """

    pagination_class = PageNumberPagination
    parser_classes = [BoundedJSONParser]
    schema = ApiAutoSchema()

    def paginated(
        self, queryset: QuerySet | Iterable[Any], serializer_class: type[BaseSerializer]
    ) -> Response:
        """Serialize one page of `queryset` in DRF's paginated envelope."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context={"request": self.request}).data
        return paginator.get_paginated_response(data)


def get_incident(incident_id: int) -> Incident:
    return get_object_or_404(Incident, pk=incident_id)
