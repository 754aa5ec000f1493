"""Glossary terms and their version history."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import ApiView, acting_user
from api.glossary import serializers as s
from api.glossary.permissions import GlossaryAccess
from glossary import services
from glossary.models import Term, TermVersion
from kit.openapi import document

TAG = ["glossary"]


def term_detail(slug: str) -> Term:
    return get_object_or_404(Term.objects.prefetch_related("related", "versions"), slug=slug)


class TermListView(ApiView):
    permission_classes = [GlossaryAccess]

    @document(tags=TAG, parameters=[s.TermSearchSerializer], responses=s.TermSerializer(many=True))
    def get(self, request: Request) -> Response:
        """List terms by name; `q` searches names, spellings and both definitions."""
        search = s.TermSearchSerializer(data=request.query_params.dict())
        search.is_valid(raise_exception=True)
        terms: QuerySet[Term] = Term.objects.prefetch_related("related")
        if q := search.validated_data.get("q", "").strip():
            terms = terms.filter(
                Q(name__icontains=q)
                | Q(variants__icontains=q)
                | Q(technical_definition__icontains=q)
                | Q(plain_definition__icontains=q)
            )
        return self.paginated(terms, s.TermSerializer)

    @document(tags=TAG, request=s.TermCreateSerializer, responses={201: s.TermDetailSerializer})
    def post(self, request: Request) -> Response:
        """Create a term (version 1)."""
        body = s.TermCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        term = services.create_term(by=acting_user(request), **body.validated_data)
        response = Response(
            s.TermDetailSerializer(term_detail(term.slug)).data, status=status.HTTP_201_CREATED
        )
        response["Location"] = reverse("v1:term-detail", args=[term.slug])
        return response


class TermDetailView(ApiView):
    permission_classes = [GlossaryAccess]

    @document(tags=TAG, responses=s.TermDetailSerializer)
    def get(self, request: Request, slug: str) -> Response:
        """Show the current version of a term and list its versions."""
        return Response(s.TermDetailSerializer(term_detail(slug)).data)


class TermReviseView(ApiView):
    permission_classes = [GlossaryAccess]

    @document(tags=TAG, request=s.TermReviseSerializer, responses=s.TermDetailSerializer)
    def post(self, request: Request, slug: str) -> Response:
        """Revise a term: a new version; earlier versions stay readable."""
        term = get_object_or_404(Term, slug=slug)
        body = s.TermReviseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        term = services.revise_term(term=term, by=acting_user(request), **body.validated_data)
        return Response(s.TermDetailSerializer(term_detail(term.slug)).data)


class TermVersionView(ApiView):
    permission_classes = [GlossaryAccess]

    @document(tags=TAG, responses=s.TermVersionSerializer)
    def get(self, request: Request, slug: str, version: int) -> Response:
        """Show one version of a term, as it read then."""
        term_version = get_object_or_404(
            TermVersion.objects.select_related("changed_by"), term__slug=slug, version=version
        )
        return Response(s.TermVersionSerializer(term_version).data)
