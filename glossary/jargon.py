"""Find glossary terms (or only the technical ones) in text.

Pages apply the matcher to many texts, so it is built once per glossary
version and kept for the life of the process:

1. A request asks the database for the glossary's version, a handful of
   aggregates over the term table, once (the answer is pinned for the rest
   of the request).
2. If that version is the one already compiled, and this process has saved
   no term since, its pattern is reused; otherwise the terms are read (one
   more query) and compiled again.
3. Outside a request (tasks, shell, tests) every lookup asks again, unless
   wrapped in `pinned_glossary()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.signals import request_finished, request_started
from django.db.models import Count, Max, Sum
from django.db.models.signals import post_delete, post_save

from glossary.models import Term


@dataclass(frozen=True)
class JargonMatch:
    slug: str
    term: str
    matched: str
    start: int
    end: int
    plain_definition: str

    def as_dict(self) -> dict:
        return asdict(self)


def _pattern_for(spelling: str) -> str:
    """Return a regex for one spelling, with plurals, whole words only.

    Acronyms (PSI, AUC) match in capitals only, so "psi" in running text is
    not flagged; other spellings ("p95", "false positive") ignore case.
    """
    body = re.escape(spelling).replace(r"\ ", r"[\s\-]+")
    if spelling[-1].isalpha():
        body += "(?:s|es)?"
    body = rf"(?<![\w-]){body}(?![\w-])"
    return body if spelling.isupper() and len(spelling) > 1 else f"(?i:{body})"


_NEVER = re.compile(r"(?!x)x")


@dataclass(frozen=True)
class _Row:
    slug: str
    name: str
    variants: tuple[str, ...]
    plain_definition: str
    is_technical: bool


@dataclass
class Glossary:
    """Every term of one glossary version, with its matchers compiled on first use."""

    version: tuple
    generation: int
    rows: tuple[_Row, ...]
    _patterns: dict[bool, tuple[re.Pattern[str], dict[str, _Row]]] = field(
        default_factory=dict, repr=False
    )

    def _compiled(self, technical_only: bool) -> tuple[re.Pattern[str], dict[str, _Row]]:
        """Build one alternation over every spelling, longest first (so "p95 latency" beats "latency")."""
        if technical_only not in self._patterns:
            spellings: dict[str, _Row] = {}
            for row in self.rows:
                if technical_only and not row.is_technical:
                    continue
                for spelling in (row.name, *row.variants):
                    if spelling.strip():
                        spellings.setdefault(spelling.strip(), row)
            ordered = sorted(spellings, key=len, reverse=True)
            alternation = "|".join(f"(?P<t{i}>{_pattern_for(s)})" for i, s in enumerate(ordered))
            pattern = re.compile(alternation) if ordered else _NEVER
            self._patterns[technical_only] = (
                pattern,
                {f"t{i}": spellings[s] for i, s in enumerate(ordered)},
            )
        return self._patterns[technical_only]

    def find(self, text: str, *, technical_only: bool = False) -> list[JargonMatch]:
        if not text:
            return []
        pattern, by_group = self._compiled(technical_only)
        return [
            JargonMatch(row.slug, row.name, m.group(0), m.start(), m.end(), row.plain_definition)
            for m in pattern.finditer(text)
            for row in (by_group[m.lastgroup],)  # type: ignore[index]
        ]


# The last compiled glossary, shared by every request of this process.
_compiled_glossary: Glossary | None = None
# Bumped whenever this process saves or deletes a term. The database fingerprint
# catches other processes' changes; this also catches what it cannot tell apart
# (a rolled-back term and another created with the same id at the same instant,
# as tests with a frozen clock do).
_generation = 0
# Within a request (or a pinned block): None = not pinned, _OPEN = pinned but not yet looked up.
_OPEN: Any = object()
_pinned: ContextVar[Glossary | None | Any] = ContextVar("glossary_pinned", default=None)


def glossary_version() -> tuple:
    """Return a cheap fingerprint that changes whenever a term is added, revised or removed.

    The sum of versions catches two revisions within one clock tick; the
    highest id catches a removal followed by an addition.
    """
    agg = Term.objects.aggregate(
        n=Count("pk"), latest=Max("updated_at"), versions=Sum("version"), top=Max("pk")
    )
    return (agg["n"], agg["latest"], agg["versions"], agg["top"])


def _load(version: tuple, generation: int) -> Glossary:
    rows = Term.objects.order_by("pk").values_list(
        "slug", "name", "variants", "plain_definition", "is_technical"
    )
    return Glossary(
        version=version,
        generation=generation,
        rows=tuple(
            _Row(slug, name, tuple(v for v in variants if isinstance(v, str)), plain, technical)
            for slug, name, variants, plain, technical in rows
        ),
    )


def current_glossary() -> Glossary:
    """Return the compiled glossary: one query per request when it has not changed, two when it has."""
    global _compiled_glossary
    pinned = _pinned.get()
    if pinned is not None and pinned is not _OPEN:
        return pinned
    version = glossary_version()
    glossary = _compiled_glossary
    if glossary is None or glossary.version != version or glossary.generation != _generation:
        glossary = _compiled_glossary = _load(version, _generation)
    if pinned is _OPEN:
        _pinned.set(glossary)
    return glossary


@contextmanager
def pinned_glossary() -> Iterator[None]:
    """Look the glossary version up at most once inside this block (what every request does)."""
    token = _pinned.set(_OPEN)
    try:
        yield
    finally:
        _pinned.reset(token)


def _pin_for_request(**kwargs: Any) -> None:
    _pinned.set(_OPEN)


def _unpin(**kwargs: Any) -> None:
    _pinned.set(None)


def _repin_after_change(**kwargs: Any) -> None:
    # A term changed in this request or block: look the version up again next time.
    global _generation
    _generation += 1
    if _pinned.get() is not None:
        _pinned.set(_OPEN)


request_started.connect(_pin_for_request, dispatch_uid="glossary_pin_for_request")
request_finished.connect(_unpin, dispatch_uid="glossary_unpin")
post_save.connect(_repin_after_change, sender=Term, dispatch_uid="glossary_repin_save")
post_delete.connect(_repin_after_change, sender=Term, dispatch_uid="glossary_repin_delete")


def find_terms(text: str, *, technical_only: bool = False) -> list[JargonMatch]:
    """Return every glossary term (or variant) in `text`, in order of position."""
    if not text:
        return []
    return current_glossary().find(text, technical_only=technical_only)


def find_jargon(text: str) -> list[JargonMatch]:
    """Return every technical term (or variant) in `text`, in order of position."""
    return find_terms(text, technical_only=True)
