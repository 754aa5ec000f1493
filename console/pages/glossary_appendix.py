"""An incident's glossary appendix: every glossary term its published updates used.

Lives in console because it joins comms (the updates) with the glossary,
which knows nothing of comms. Same readers as the incident pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from comms.models import Rendition, StatusUpdate
from glossary.jargon import current_glossary
from glossary.models import Term, TermVersion
from incidents import permissions
from incidents.models import Incident

# The structured fields every audience's rendition is built from.
STRUCTURED_FIELDS = (
    ("what_changed", "What changed"),
    ("current_impact", "Current impact"),
    ("uncertain", "What remains uncertain"),
    ("decisions_pending", "Decisions pending"),
    ("actions_in_progress", "Actions in progress"),
)
CONTEXT_CHARS = 50


@dataclass(frozen=True)
class Use:
    """One place a term appears: which update, which audience and field, with a little context."""

    number: int
    published_at: datetime | None  # always set: only published updates are read
    where: str
    before: str
    matched: str
    after: str


@dataclass
class VersionUsed:
    """The version of a term in force when some of the updates were published."""

    version: TermVersion
    added_after: bool = False  # the term entered the glossary after these updates
    uses: list[Use] = field(default_factory=list)

    @property
    def numbers(self) -> list[int]:
        return sorted({use.number for use in self.uses})


@dataclass
class AppendixEntry:
    term: Term
    versions: list[VersionUsed]

    @property
    def changed_since(self) -> bool:
        return any(v.version.version != self.term.version for v in self.versions)


@require_safe
@login_required
def appendix(request: HttpRequest, pk: int) -> HttpResponse:
    if not permissions.can_read_incidents(request.user):
        raise PermissionDenied("Incident pages are for responders, commanders and executives.")
    incident = get_object_or_404(Incident, pk=pk)
    updates = list(
        StatusUpdate.objects.filter(incident=incident, status=StatusUpdate.Status.PUBLISHED)
        .order_by("number")
        .prefetch_related(Prefetch("renditions", queryset=Rendition.objects.order_by("audience")))
    )
    entries = build_appendix(updates)
    return render(
        request,
        "glossary/appendix.html",
        {"incident": incident, "updates": updates, "entries": entries},
    )


def _texts(update: StatusUpdate) -> list[tuple[str, str]]:
    """Return (where, text) for every text of a published update."""
    texts = [
        (f"{label} (all audiences)", getattr(update, name)) for name, label in STRUCTURED_FIELDS
    ]
    for rendition in update.renditions.all():
        audience = rendition.get_audience_display()
        texts += [
            (f"{audience} summary", rendition.summary),
            (f"{audience} detail", rendition.body),
        ]
    return [(where, text) for where, text in texts if text]


def _find_uses(updates: list[StatusUpdate]) -> dict[str, list[tuple[StatusUpdate, Use]]]:
    glossary = current_glossary()
    uses: dict[str, list[tuple[StatusUpdate, Use]]] = {}
    for update in updates:
        for where, text in _texts(update):
            for m in glossary.find(text):
                use = Use(
                    update.number,
                    update.published_at,
                    where,
                    ("…" if m.start > CONTEXT_CHARS else "")
                    + text[max(0, m.start - CONTEXT_CHARS) : m.start],
                    m.matched,
                    text[m.end : m.end + CONTEXT_CHARS]
                    + ("…" if len(text) > m.end + CONTEXT_CHARS else ""),
                )
                uses.setdefault(m.slug, []).append((update, use))
    return uses


def _in_force(versions: list[TermVersion], at: datetime) -> tuple[TermVersion, bool]:
    """Return the version in force at `at` (versions in ascending order), and whether the term came later."""
    earlier = [v for v in versions if v.changed_at <= at]
    return (earlier[-1], False) if earlier else (versions[0], True)


def build_appendix(updates: list[StatusUpdate]) -> list[AppendixEntry]:
    """Return the glossary terms used in `updates`, each with the version in force when it was used.

    1. Find every term in every text of every update (one compiled pattern).
    2. Read those terms and all their versions: two queries, whatever the counts.
    3. Group each term's uses by the version in force at the update's publication.
    """
    uses = _find_uses(updates)
    if not uses:
        return []
    terms = {t.slug: t for t in Term.objects.filter(slug__in=uses)}
    versions: dict[int, list[TermVersion]] = {}
    for version in TermVersion.objects.filter(term__in=terms.values()).order_by(
        "term_id", "version"
    ):
        versions.setdefault(version.term_id, []).append(version)
    entries = []
    for slug, term in sorted(terms.items(), key=lambda item: item[1].name.casefold()):
        if not versions.get(term.pk):
            continue  # a term without history (created outside the services) has no version to cite
        by_version: dict[tuple[int, bool], VersionUsed] = {}
        for update, use in uses[slug]:
            version, added_after = _in_force(
                versions[term.pk], update.published_at or update.created_at
            )
            used = by_version.setdefault(
                (version.version, added_after), VersionUsed(version, added_after)
            )
            used.uses.append(use)
        entries.append(AppendixEntry(term, [by_version[key] for key in sorted(by_version)]))
    return entries
