"""What every API view shares: pagination, the acting user and incident lookup."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.exceptions import NotAuthenticated
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from incidents.models import Incident
from kit.openapi import ApiAutoSchema
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
        page: Any = paginator.paginate_queryset(queryset, self.request, view=self)  # type: ignore[arg-type]
        data = serializer_class(page, many=True, context={"request": self.request}).data
        return paginator.get_paginated_response(data)


def get_incident(incident_id: int) -> Incident:
    return get_object_or_404(Incident, pk=incident_id)


def acting_user(request: Request) -> User:
    """Return the signed-in user a view acts for, typed as the services expect.

    Every view sits behind a permission class that refuses anonymous callers,
    so the refusal here is a second line that also tells the type checker what
    the permission check already guarantees.
    """
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user


class DownloadRenderer(BaseRenderer):
    """Lets a client ask for a download's media type (`Accept`); errors still go out as JSON.

    Views that answer a file list `[JSONRenderer, TheirRenderer]` and return an HttpResponse.
    """

    media_type = "application/octet-stream"
    format = "bin"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return JSONRenderer().render(data)


class ZipRenderer(DownloadRenderer):
    media_type = "application/zip"
    format = "zip"


class MarkdownRenderer(DownloadRenderer):
    media_type = "text/markdown"
    format = "md"


class PdfRenderer(DownloadRenderer):
    media_type = "application/pdf"
    format = "pdf"
