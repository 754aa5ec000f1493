"""Reporting regimes as data: one JSON file per regime, checked when loaded.

Each file names the regime, its legal source (act, article, version, address)
and what its figures were checked against; the questions that decide whether
it applies to an incident (`applies_if`: all of these answered yes); and its
reports, each with the clock it runs on:

    "clock": {"from": MOMENT, "within": ISO 8601 duration, "cite": ...}
    "also_within": [{"from": MOMENT, "within": ..., "cite": ...}]   the earliest end wins
    "variants": [{"if": QUESTION, "within": ..., "cite": ...}]      answered yes: the shortest wins

A MOMENT is `became_aware`, `classified_major`, or `submitted:<report key>` (the
submission of another report of the same regime). Durations are PTnH, PnD or
PnM (calendar months). A bad file fails loudly at start-up (`manage.py check`)
and in the tests, naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

HERE = Path(__file__).resolve().parent

BECAME_AWARE = "became_aware"
CLASSIFIED_MAJOR = "classified_major"
MOMENTS = {
    BECAME_AWARE: "Became aware",
    CLASSIFIED_MAJOR: "Classified as major",
}
MOMENT_CHOICES = list(MOMENTS.items())
SUBMITTED = "submitted:"
PREFILLS = {
    "",
    "summary",
    "impact",
    "models",
    "decisions",
    "regulator_renditions",
    "detection",
    "phase",
    "timeline",
}
_DURATION = re.compile(r"^P(?:(?P<months>\d+)M|(?P<days>\d+)D|T(?P<hours>\d+)H)$")


class RegimeError(ValueError):
    """A regime file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Duration:
    text: str
    months: int = 0
    days: int = 0
    hours: int = 0

    def after(self, start: datetime, *, factor: int = 1) -> datetime:
        """The end of a window of this length from `start`; a drill's clock runs `factor` times faster."""
        if factor == 1:
            return start + relativedelta(months=self.months, days=self.days, hours=self.hours)
        return start + (self.after(start) - start) / factor

    @property
    def label(self) -> str:
        for amount, unit in ((self.months, "month"), (self.days, "day"), (self.hours, "hour")):
            if amount:
                return f"{amount} {unit}{'s' if amount != 1 else ''}"
        return self.text


@dataclass(frozen=True)
class Term:
    start: str  # a moment
    within: Duration
    cite: str


@dataclass(frozen=True)
class Variant:
    question: str
    within: Duration
    cite: str


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    prefill: str


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    immediately: str
    clock: Term
    also_within: tuple[Term, ...]
    variants: tuple[Variant, ...]
    fields: tuple[Field, ...]

    def terms(self, answers: dict[str, bool]) -> tuple[Term, ...]:
        """The terms that bind under `answers`: the main clock (shortened by a variant), and the others."""
        clock = self.clock
        chosen = [v for v in self.variants if answers.get(v.question)]
        if chosen:
            shortest = min(chosen, key=lambda v: v.within.after(datetime(2000, 1, 1)))
            clock = Term(clock.start, shortest.within, shortest.cite)
        return (clock, *self.also_within)


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    cite: str


@dataclass(frozen=True)
class Regime:
    slug: str
    name: str
    short_name: str
    authority: str
    source: dict[str, str]
    checked: str
    questions: tuple[Question, ...]
    applies_if: tuple[str, ...]
    reports: tuple[Report, ...]
    digest: str

    def applies(self, answers: dict[str, bool]) -> bool:
        return all(answers.get(key) is True for key in self.applies_if)

    def report(self, key: str) -> Report | None:
        return next((r for r in self.reports if r.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "short_name": self.short_name,
            "authority": self.authority,
            "source": dict(self.source),
            "checked": self.checked,
            "digest": self.digest,
            "questions": [{"key": q.key, "text": q.text, "cite": q.cite} for q in self.questions],
            "applies_if": list(self.applies_if),
            "reports": [
                {
                    "key": r.key,
                    "title": r.title,
                    "immediately": r.immediately,
                    "clock": _term_dict(r.clock),
                    "also_within": [_term_dict(t) for t in r.also_within],
                    "variants": [
                        {"if": v.question, "within": v.within.text, "cite": v.cite}
                        for v in r.variants
                    ],
                    "fields": [{"key": f.key, "label": f.label} for f in r.fields],
                }
                for r in self.reports
            ],
        }


def _term_dict(term: Term) -> dict[str, str]:
    return {"from": term.start, "within": term.within.text, "cite": term.cite}


def parse_duration(text: Any, where: str) -> Duration:
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise RegimeError(f"{where}: {text!r} is not a duration like PT4H, P15D or P1M")
    return Duration(text, **{k: int(v) for k, v in match.groupdict().items() if v})


def _text(raw: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str:
    value = raw.get(key, "" if optional else None)
    if not isinstance(value, str) or (not optional and not value.strip()):
        raise RegimeError(f"{where}: `{key}` must be {'text' if optional else 'non-empty text'}")
    return value


def _term(raw: Any, where: str, reports: set[str]) -> Term:
    if not isinstance(raw, dict):
        raise RegimeError(f"{where}: must be an object with from, within and cite")
    start = _text(raw, "from", where)
    if start not in MOMENTS and not (
        start.startswith(SUBMITTED) and start[len(SUBMITTED) :] in reports
    ):
        raise RegimeError(
            f"{where}.from: {start!r} is neither a moment ({', '.join(MOMENTS)}) nor "
            "submitted:<a report of this regime>"
        )
    return Term(
        start, parse_duration(raw.get("within"), f"{where}.within"), _text(raw, "cite", where)
    )


def load_file(path: Path) -> Regime:
    where = path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise RegimeError(f"{where}: not valid JSON: {exc}") from None
    if raw.get("slug") != path.stem:
        raise RegimeError(f"{where}: `slug` must be the file's name, {path.stem!r}")
    source = raw.get("source")
    if not isinstance(source, dict) or not all(
        isinstance(source.get(k), str) and source[k] for k in ("act", "article", "version", "url")
    ):
        raise RegimeError(f"{where}: `source` needs act, article, version and url")
    questions = tuple(
        Question(
            _text(q, "key", f"{where} question"),
            _text(q, "text", f"{where} question"),
            _text(q, "cite", f"{where} question"),
        )
        for q in raw.get("questions") or []
    )
    keys = {q.key for q in questions}
    if not questions or len(keys) != len(questions):
        raise RegimeError(f"{where}: `questions` must list questions with distinct keys")
    applies_if = tuple(raw.get("applies_if") or [])
    if not applies_if or not set(applies_if) <= keys:
        raise RegimeError(f"{where}: `applies_if` must name some of its questions")
    report_keys = {str(r.get("key")) for r in raw.get("reports") or [] if isinstance(r, dict)}
    reports = []
    for n, r in enumerate(raw.get("reports") or [], 1):
        at = f"{where} report {n}"
        variants = []
        for v in r.get("variants") or []:
            if v.get("if") not in keys:
                raise RegimeError(f"{at}: variant `if` {v.get('if')!r} is not one of its questions")
            variants.append(
                Variant(
                    v["if"], parse_duration(v.get("within"), f"{at}.variants"), _text(v, "cite", at)
                )
            )
        fields = []
        for f in r.get("fields") or []:
            if f.get("prefill", "") not in PREFILLS:
                raise RegimeError(
                    f"{at}: prefill {f.get('prefill')!r} is not one of {sorted(PREFILLS)}"
                )
            fields.append(Field(_text(f, "key", at), _text(f, "label", at), f.get("prefill", "")))
        if not fields:
            raise RegimeError(f"{at}: `fields` must list what the report asks for")
        reports.append(
            Report(
                key=_text(r, "key", at),
                title=_text(r, "title", at),
                immediately=_text(r, "immediately", at, optional=True),
                clock=_term(r.get("clock"), f"{at}.clock", report_keys),
                also_within=tuple(
                    _term(t, f"{at}.also_within", report_keys) for t in r.get("also_within") or []
                ),
                variants=tuple(variants),
                fields=tuple(fields),
            )
        )
    if not reports or len(report_keys) != len(reports):
        raise RegimeError(f"{where}: `reports` must list reports with distinct keys")
    return Regime(
        slug=raw["slug"],
        name=_text(raw, "name", where),
        short_name=_text(raw, "short_name", where),
        authority=_text(raw, "authority", where),
        source={k: str(v) for k, v in source.items()},
        checked=_text(raw, "checked", where),
        questions=questions,
        applies_if=applies_if,
        reports=tuple(reports),
        digest=hashlib.sha256(path.read_bytes()).hexdigest()[:16],
    )


@cache
def all_regimes() -> dict[str, Regime]:
    """Every regime by slug, in file-name order."""
    return {r.slug: r for r in (load_file(p) for p in sorted(HERE.glob("*.json")))}


def get(slug: str) -> Regime | None:
    return all_regimes().get(slug)
