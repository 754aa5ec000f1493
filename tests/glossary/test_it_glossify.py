"""The glossify filter links terms in update text, escapes the rest, and costs one query per request."""

from contextlib import contextmanager

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from glossary.jargon import find_jargon, pinned_glossary
from glossary.models import Term
from glossary.services import create_term, revise_term


@pytest.fixture
def terms(commander):
    create_term(
        by=commander,
        name="p95",
        variants=["p95 latency"],
        technical_definition="95th percentile",
        plain_definition="how slow the slowest 1 in 20 requests is",
    )
    create_term(
        by=commander,
        name="Rollback",
        variants=["rolled back"],
        technical_definition="redeploy prior",
        plain_definition="going back to the last version that worked",
        is_technical=False,
    )


@contextmanager
def one_request():
    """Send the signals a request sends, keeping the test's connection open (as the test client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        try:
            yield
        finally:
            request_finished.send(sender=None)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def render(text, autoescape=True):
    source = "{% load glossary %}" + (
        "{{ text|glossify }}"
        if autoescape
        else "{% autoescape off %}{{ text|glossify }}{% endautoescape %}"
    )
    return Template(source).render(Context({"text": text}))


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


def test_it_escapes_definitions_and_matched_text_even_with_autoescape_off(commander):
    create_term(
        by=commander,
        name="Drift",
        technical_definition="t",
        plain_definition='<img src=x onerror="alert(1)"> & more',
    )
    for html in (render("Drift<b>", autoescape=True), render("Drift", autoescape=False)):
        assert "<img" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; more" in html
    assert render("Drift<b>").endswith("</a>&lt;b&gt;")


def test_twenty_texts_in_one_request_cost_one_query(terms):
    texts = [f"Update {i}: we rolled back and p95 latency fell." for i in range(20)]
    with one_request(), CaptureQueriesContext(connection) as first:
        pages = [render(t) for t in texts]
    assert all(page.count('class="term"') == 2 for page in pages)
    # The version lookup, and (the glossary changed since it was last compiled) the terms.
    assert len(first) <= 2

    with one_request(), CaptureQueriesContext(connection) as warm:
        [render(t) for t in texts]
    assert len(warm) == 1, [q["sql"] for q in warm]


def test_a_pinned_block_also_looks_the_glossary_up_once(terms):
    with pinned_glossary(), CaptureQueriesContext(connection) as queries:
        for i in range(20):
            render(f"p95 {i}")
    assert len(queries) <= 2
    with CaptureQueriesContext(connection) as unpinned:
        render("p95")
        render("p95")
    assert len(unpinned) == 2  # outside a request each call checks the version


def test_a_revision_shows_at_once_even_within_the_same_instant(terms, clock, commander):
    assert "how slow the slowest" in render("p95")
    revise_term(
        term=Term.objects.get(slug="p95"),
        by=commander,
        plain_definition="how slow the slow requests are",
    )
    assert "how slow the slow requests are" in render("p95")


def test_a_term_changed_during_a_request_is_seen_by_the_rest_of_it(terms, commander):
    with one_request():
        assert render("Drift") == "Drift"
        create_term(
            by=commander,
            name="Drift",
            technical_definition="t",
            plain_definition="the data changed",
        )
        assert "the data changed" in render("Drift")


def test_technical_only_matching_ignores_everyday_terms(terms):
    assert [m.slug for m in find_jargon("We rolled back; p95 is fine.")] == ["p95"]
