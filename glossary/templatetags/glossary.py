"""`{{ text|glossify }}`: link glossary terms in text, with their plain definition as a tooltip."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from glossary.jargon import find_terms

register = template.Library()


@register.filter(needs_autoescape=True)
def glossify(text: str, autoescape: bool = True) -> SafeString:
    """Escape `text` and wrap each glossary term in a link to its page with a tooltip.

    The tooltip is a real element (shown on hover and on keyboard focus, and
    read by screen readers after the term), not a title attribute.
    """
    text = str(text or "")
    escape = conditional_escape if autoescape else (lambda s: s)
    out: list[str] = []
    position = 0
    for match in find_terms(text):
        out.append(escape(text[position : match.start]))
        out.append(
            format_html(
                '<a class="term" href="{}">{}<span class="term-tip" role="tooltip"> ({})</span></a>',
                reverse("glossary:term", args=[match.slug]),
                match.matched,
                match.plain_definition,
            )
        )
        position = match.end
    out.append(escape(text[position:]))
    return mark_safe("".join(str(part) for part in out))  # noqa: S308  parts escaped (unless the template turned autoescape off) or format_html
