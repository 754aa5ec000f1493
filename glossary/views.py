"""Glossary pages: every signed-in user may read them (regulator viewers too)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from glossary.models import VERSIONED_FIELDS, Term, TermVersion

ALPHABET = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
KINDS = {"technical": "Technical terms", "plain": "Everyday terms"}
FIELD_LABELS = {
    "name": "Name",
    "variants": "Also written",
    "plain_definition": "In plain words",
    "technical_definition": "Technical definition",
    "examples": "Examples",
    "is_technical": "Flagged as technical",
}


@require_safe
@login_required
def term_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    terms = list(_search(q, kind))
    groups = _by_letter(terms)
    present = {g.letter: g.anchor for g in groups}
    jump = [
        (letter, present.get(letter, "")) for letter in ALPHABET + (["#"] if "#" in present else [])
    ]
    context = {
        "terms": terms,
        "groups": groups,
        "jump": jump,
        "q": q,
        "kind": kind,
        "kinds": KINDS,
        "kind_label": KINDS.get(kind, ""),
    }
    return render(request, "glossary/list.html", context)


@require_safe
@login_required
def term_detail(request: HttpRequest, slug: str) -> HttpResponse:
    term = get_object_or_404(Term.objects.prefetch_related("related"), slug=slug)
    versions = term.versions.select_related("changed_by").order_by("-version")
    return render(request, "glossary/term.html", {"term": term, "versions": versions})


@require_safe
@login_required
def term_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Show one version of a term as it read then, and what it changed from the version before."""
    term = get_object_or_404(Term, slug=slug)
    rows = TermVersion.objects.filter(term=term, version__in=[number, number - 1]).select_related(
        "changed_by"
    )
    pair = {v.version: v for v in rows}
    if number not in pair:
        raise Http404(f"{term.name} has no version {number}.")
    version, previous = pair[number], pair.get(number - 1)
    context = {
        "term": term,
        "version": version,
        "previous": previous,
        "changes": _changes(previous, version),
    }
    return render(request, "glossary/version.html", context)


def _search(q: str, kind: str) -> QuerySet[Term]:
    """Return terms whose name, variants or either definition contain `q`."""
    terms = Term.objects.all()
    if kind:
        terms = terms.filter(is_technical=(kind == "technical"))
    if q:
        terms = terms.filter(
            Q(name__icontains=q)
            | Q(variants__icontains=q)
            | Q(plain_definition__icontains=q)
            | Q(technical_definition__icontains=q)
        )
    return terms


@dataclass(frozen=True)
class LetterGroup:
    letter: str
    anchor: str
    terms: list[Term]


def _by_letter(terms: Iterable[Term]) -> list[LetterGroup]:
    """Group terms under A–Z (digits and symbols under "#"), in alphabetical order."""
    groups: dict[str, list[Term]] = {}
    for term in sorted(terms, key=lambda t: t.name.casefold()):
        first = term.name[:1].upper()
        groups.setdefault(first if "A" <= first <= "Z" else "#", []).append(term)
    return [
        LetterGroup(letter, "letter-" + (letter if letter != "#" else "other"), groups[letter])
        for letter in sorted(groups, key=lambda k: (k == "#", k))
    ]


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: str
    after: str
    # For prose: [("equal" | "delete" | "insert", words)], so the page can mark what changed.
    words: list[tuple[str, str]]


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


_TOKEN = re.compile(r"\w+|[^\w\s]+|\s+")


def _word_diff(before: str, after: str) -> list[tuple[str, str]]:
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    parts: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("equal", "delete", "replace") and i1 < i2:
            parts.append(("equal" if op == "equal" else "delete", "".join(a[i1:i2])))
        if op in ("insert", "replace") and j1 < j2:
            parts.append(("insert", "".join(b[j1:j2])))
    return parts


def _changes(previous: TermVersion | None, version: TermVersion) -> list[FieldChange]:
    """Return the fields that differ from the previous version (every field for the first one)."""
    changes = []
    for name in VERSIONED_FIELDS:
        before = _as_text(getattr(previous, name)) if previous else ""
        after = _as_text(getattr(version, name))
        if previous is None or before != after:
            changes.append(
                FieldChange(name, FIELD_LABELS[name], before, after, _word_diff(before, after))
            )
    return changes
