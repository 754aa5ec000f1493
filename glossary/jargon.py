"""Find technical glossary terms in text meant for non-technical readers."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

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


@lru_cache(maxsize=8)
def _compiled(key: tuple) -> tuple[re.Pattern[str], dict[str, tuple[str, str, str]]]:
    """Build one alternation over every spelling, longest first (so "p95 latency" beats "latency")."""
    spellings: dict[str, tuple[str, str, str]] = {}
    for slug, name, variants, plain in key:
        for spelling in [name, *variants]:
            if isinstance(spelling, str) and spelling.strip():
                spellings.setdefault(spelling.strip(), (slug, name, plain))
    ordered = sorted(spellings, key=len, reverse=True)
    if not ordered:
        return re.compile(r"(?!x)x"), {}
    groups = "|".join(f"(?P<t{i}>{_pattern_for(s)})" for i, s in enumerate(ordered))
    return re.compile(groups), {f"t{i}": spellings[s] for i, s in enumerate(ordered)}


def _terms_key(*, technical_only: bool) -> tuple:
    terms = Term.objects.filter(is_technical=True) if technical_only else Term.objects.all()
    rows = terms.order_by("pk").values_list("slug", "name", "variants", "plain_definition")
    return tuple((slug, name, tuple(v for v in variants if isinstance(v, str)), plain) for slug, name, variants, plain in rows)


def find_terms(text: str, *, technical_only: bool = False) -> list[JargonMatch]:
    """Return every glossary term (or variant) in `text`, in order of position."""
    if not text:
        return []
    pattern, by_group = _compiled(_terms_key(technical_only=technical_only))
    matches = []
    for m in pattern.finditer(text):
        slug, name, plain = by_group[m.lastgroup]
        matches.append(JargonMatch(slug, name, m.group(0), m.start(), m.end(), plain))
    return matches


def find_jargon(text: str) -> list[JargonMatch]:
    """Return every technical term (or variant) in `text`, in order of position."""
    return find_terms(text, technical_only=True)
