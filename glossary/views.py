"""Glossary pages: every signed-in user may read them (regulator viewers too)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from glossary.models import Term


@login_required
def term_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    terms = Term.objects.all()
    if q:
        terms = terms.filter(
            Q(name__icontains=q)
            | Q(variants__icontains=q)
            | Q(plain_definition__icontains=q)
            | Q(technical_definition__icontains=q)
        )
    return render(request, "glossary/list.html", {"terms": terms, "q": q})


@login_required
def term_detail(request: HttpRequest, slug: str) -> HttpResponse:
    term = get_object_or_404(Term.objects.prefetch_related("related"), slug=slug)
    versions = term.versions.select_related("changed_by").order_by("-version")
    return render(request, "glossary/term.html", {"term": term, "versions": versions})
