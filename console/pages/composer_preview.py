"""The update composer's inline jargon check and previews (shared by the page and its fragment)."""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString, mark_safe

from comms.services import PLAIN_AUDIENCES
from console.incident_forms import UpdateForm
from glossary.jargon import find_jargon
from glossary.templatetags.glossary import glossify
from incidents.choices import Audience


def _highlight(text: str, audience: str) -> tuple[SafeString, list[Any]]:
    """Return `text` as HTML, technical terms in <mark> (plain audiences), glossary terms linked."""
    matches = find_jargon(text) if audience in PLAIN_AUDIENCES else []
    out: list[str] = []
    position = 0
    for m in matches:
        out.append(glossify(text[position : m.start]))
        out.append(f"<mark>{glossify(text[m.start : m.end])}</mark>")
        position = m.end
    out.append(glossify(text[position:]))
    return mark_safe("".join(str(part) for part in out)), matches  # noqa: S308  every part comes from glossify, which escapes


def jargon_report(audience: str, summary: str, body: str) -> dict[str, Any]:
    """Preview one rendition and list the technical terms it uses, with their plain definitions."""
    summary_html, in_summary = _highlight(summary, audience)
    body_html, in_body = _highlight(body, audience)
    terms: dict[str, Any] = {}
    for m in [*in_summary, *in_body]:
        terms.setdefault(
            m.slug, {"slug": m.slug, "term": m.term, "matched": [], "plain": m.plain_definition}
        )
        if m.matched not in terms[m.slug]["matched"]:
            terms[m.slug]["matched"].append(m.matched)
    return {
        "audience": audience,
        "label": Audience(audience).label,
        "plain": audience in PLAIN_AUDIENCES,
        "summary": summary_html,
        "body": body_html,
        "terms": list(terms.values()),
        "empty": not (summary.strip() or body.strip()),
    }


def composer_audiences(form: UpdateForm) -> list[dict[str, Any]]:
    """Return the composer's audience panels, each with the report of the text it already holds."""
    panels = form.audience_fields()
    for panel in panels:
        texts = [str(panel[part].value() or "") for part in ("summary", "body")]
        panel["report"] = (
            jargon_report(panel["value"], *texts) if any(t.strip() for t in texts) else None
        )
    return panels
