"""The glossify filter links terms in update text, escapes the rest."""

import pytest
from django.template import Context, Template

from glossary.services import create_term


@pytest.fixture
def terms(commander):
    create_term(by=commander, name="p95", variants=["p95 latency"], technical_definition="95th percentile",
                plain_definition="how slow the slowest 1 in 20 requests is")
    create_term(by=commander, name="Rollback", variants=["rolled back"], technical_definition="redeploy prior",
                plain_definition="going back to the last version that worked", is_technical=False)


def render(text):
    return Template("{% load glossary %}{{ text|glossify }}").render(Context({"text": text}))


def test_it_links_every_term_with_its_plain_definition(terms):
    html = render("We rolled back; p95 latency is 300 ms.")
    assert html == (
        'We <a class="term" href="/glossary/rollback/">rolled back<span class="term-tip" role="tooltip">'
        " (going back to the last version that worked)</span></a>; "
        '<a class="term" href="/glossary/p95/">p95 latency<span class="term-tip" role="tooltip">'
        " (how slow the slowest 1 in 20 requests is)</span></a> is 300 ms."
    )


def test_it_escapes_the_text_around_terms(terms):
    assert render("<script>x</script> p95").startswith("&lt;script&gt;x&lt;/script&gt; <a ")


def test_text_without_terms_is_only_escaped(db):
    assert render("a < b") == "a &lt; b"
