"""Glossary pages: search, term page, readable version history."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from glossary.services import create_term, revise_term

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms(commander):
    latency = create_term(
        by=commander,
        name="Latency",
        technical_definition="Time to respond, per percentile.",
        plain_definition="How long customers wait.",
        variants=["response time"],
    )
    fp = create_term(
        by=commander,
        name="False positive",
        technical_definition="FP / (FP + TN).",
        plain_definition="A wrong alarm.",
        variants=["false positives", "FP"],
        examples="A genuine payment declined.",
        related=[latency],
    )
    return latency, fp


def test_it_sends_anonymous_visitors_to_login(client, terms):
    for url in (reverse("glossary:list"), reverse("glossary:term", args=["latency"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "persona", ["commander", "responder", "executive", "regulator", "outsider"]
)
def test_it_serves_every_signed_in_persona(client, request, terms, persona):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("glossary:list")).text
    assert "Latency" in page and "False positive" in page
    assert client.get(reverse("glossary:term", args=["false-positive"])).status_code == 200


@pytest.mark.parametrize(
    ("q", "shown", "hidden"),
    [
        ("FP", "False positive", "Latency"),
        ("response time", "Latency", "False positive"),
        ("customers wait", "Latency", "False positive"),
    ],
)
def test_it_searches_names_variants_and_definitions(client, executive, terms, q, shown, hidden):
    client.force_login(executive)
    page = client.get(reverse("glossary:list"), {"q": q}).text
    assert f'href="/glossary/{shown.lower().replace(" ", "-")}/"' in page
    assert f'href="/glossary/{hidden.lower().replace(" ", "-")}/"' not in page


def test_it_says_when_nothing_matches(client, executive, terms):
    client.force_login(executive)
    page = client.get(reverse("glossary:list"), {"q": "zzz"}).text
    assert "No term matches “zzz”" in page


def test_it_shows_a_term_with_definitions_examples_and_related(client, executive, terms):
    client.force_login(executive)
    page = client.get(reverse("glossary:term", args=["false-positive"])).text
    assert "A wrong alarm." in page and "FP / (FP + TN)." in page
    assert "A genuine payment declined." in page
    assert 'href="/glossary/latency/"' in page
    assert "Also written: false positives, FP" in page


def test_it_keeps_every_old_version_readable(client, executive, commander, terms):
    _, fp = terms
    revise_term(
        term=fp,
        by=commander,
        note="Clearer",
        plain_definition="A false alarm about a genuine customer.",
    )
    client.force_login(executive)
    page = client.get(reverse("glossary:term", args=["false-positive"])).text
    assert "Version 2 (current)" in page and "Clearer" in page
    assert "A false alarm about a genuine customer." in page
    assert 'id="v1"' in page and "A wrong alarm." in page


def test_it_404s_for_an_unknown_term(client, executive):
    client.force_login(executive)
    assert client.get(reverse("glossary:term", args=["nope"])).status_code == 404


@pytest.fixture
def everyday(commander):
    return create_term(
        by=commander,
        name="Rollback",
        technical_definition="Redeploy the previous model version.",
        plain_definition="Going back to the version that worked.",
        is_technical=False,
    )


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [("technical", "latency", "rollback"), ("plain", "rollback", "latency")],
)
def test_it_filters_technical_and_everyday_terms(
    client, executive, terms, everyday, kind, shown, hidden
):
    client.force_login(executive)
    page = client.get(reverse("glossary:list"), {"kind": kind}).text
    assert f'href="/glossary/{shown}/"' in page and f'href="/glossary/{hidden}/"' not in page


def test_an_unknown_filter_shows_every_term(client, executive, terms, everyday):
    client.force_login(executive)
    page = client.get(reverse("glossary:list"), {"kind": "<x>"}).text
    assert page.count('class="g-row"') == 3


def test_it_offers_jump_links_to_the_letters_that_have_terms(client, executive, terms, commander):
    create_term(
        by=commander,
        name="p95",
        technical_definition="95th percentile",
        plain_definition="Slowest 1 in 20.",
    )
    create_term(
        by=commander,
        name="5xx rate",
        technical_definition="HTTP 5xx share",
        plain_definition="Errors.",
    )
    client.force_login(executive)
    page = client.get(reverse("glossary:list")).text
    for letter in ("F", "L", "P"):
        assert f'<a href="#letter-{letter}">{letter}</a>' in page
        assert f'<h2 id="letter-{letter}" tabindex="-1">{letter}</h2>' in page
    assert '<span class="g-az-empty" aria-hidden="true">Z</span>' in page
    assert 'href="#letter-other"' in page and "Digits and symbols</h2>" in page
    # Sections follow the alphabet, with digits last.
    assert (
        page.index('id="letter-F"')
        < page.index('id="letter-L"')
        < page.index('id="letter-P"')
        < page.index('id="letter-other"')
    )


def test_each_row_gives_the_plain_definition_before_the_technical_one(client, executive, terms):
    client.force_login(executive)
    page = client.get(reverse("glossary:list")).text
    assert page.index("How long customers wait.") < page.index("Time to respond, per percentile.")


def own_queries(queries) -> list[str]:
    """The page's own queries, leaving out the shared chrome (session, user, groups, inbox badge)."""
    return [q["sql"] for q in queries if '"glossary_' in q["sql"]]


def test_the_list_costs_the_same_queries_for_2_and_20_terms(client, executive, terms, commander):
    client.force_login(executive)
    client.get(reverse("glossary:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("glossary:list"))
    for i in range(18):
        create_term(by=commander, name=f"Term {i}", technical_definition="t", plain_definition="p")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("glossary:list")).text.count('class="g-row"') == 20
    assert len(few) == len(many)
    assert len(own_queries(many)) == 1


def test_the_term_page_puts_the_plain_definition_first_and_links_every_version(
    client, executive, commander, terms
):
    _, fp = terms
    revise_term(
        term=fp,
        by=commander,
        note="Clearer",
        plain_definition="A false alarm about a genuine customer.",
    )
    client.force_login(executive)
    page = client.get(reverse("glossary:term", args=["false-positive"])).text
    assert (
        page.index("In plain words") < page.index("Technical definition") < page.index("Examples")
    )
    assert (
        'href="/glossary/false-positive/v/1/"' in page
        and 'href="/glossary/false-positive/v/2/"' in page
    )


def test_a_version_page_shows_the_old_text_and_what_changed(client, executive, commander, terms):
    _, fp = terms
    revise_term(
        term=fp,
        by=commander,
        note="Clearer",
        plain_definition="A false alarm about a genuine customer.",
        variants=["false positives"],
    )
    client.force_login(executive)

    old = client.get(reverse("glossary:version", args=["false-positive", 1])).text
    assert "A wrong alarm." in old and "Not the current version" in old
    assert "First version" in old and "<del>" not in old

    new = client.get(reverse("glossary:version", args=["false-positive", 2])).text
    assert "This is the current version." in new and "Clearer" in new
    assert "What changed since version 1" in new
    assert 'id="change-plain_definition"' in new and 'id="change-variants"' in new
    assert 'id="change-technical_definition"' not in new  # unchanged fields are not listed
    assert 'A <del><span class="g-vh">removed: </span>wrong</del> alarm.' in new
    assert (
        'A <ins><span class="g-vh">added: </span>false</ins> alarm<ins><span class="g-vh">added: </span>'
        " about a genuine customer</ins>." in new
    )
    assert 'false positives<del><span class="g-vh">removed: </span>, FP</del>' in new
    assert 'rel="prev"' in new and 'rel="next"' not in new


def test_a_word_level_diff_keeps_the_unchanged_words(client, executive, commander, terms):
    latency, _ = terms
    revise_term(
        term=latency, by=commander, plain_definition="How long customers wait for an answer."
    )
    client.force_login(executive)
    page = client.get(reverse("glossary:version", args=["latency", 2])).text
    assert "<td>How long customers wait.</td>" in page
    assert (
        'How long customers wait<ins><span class="g-vh">added: </span> for an answer</ins>.' in page
    )


@pytest.mark.parametrize(
    "persona", ["commander", "responder", "executive", "regulator", "outsider"]
)
def test_every_signed_in_persona_reads_old_versions(client, request, terms, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("glossary:version", args=["latency", 1])).status_code == 200


def test_version_pages_need_a_login_and_an_existing_version(client, executive, terms):
    url = reverse("glossary:version", args=["latency", 1])
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(executive)
    assert client.get(reverse("glossary:version", args=["latency", 2])).status_code == 404
    assert client.get(reverse("glossary:version", args=["nope", 1])).status_code == 404


def test_a_version_page_costs_constant_queries(client, executive, commander, terms):
    latency, _ = terms
    client.force_login(executive)
    client.get(reverse("glossary:list"))
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("glossary:version", args=["latency", 1]))
    for i in range(5):
        latency = revise_term(
            term=latency, by=commander, plain_definition=f"How long customers wait ({i})."
        )
    with CaptureQueriesContext(connection) as sixth:
        client.get(reverse("glossary:version", args=["latency", 6]))
    assert len(first) == len(sixth)
    assert len(own_queries(sixth)) == 2  # the term, the version and the one before


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_in_terms_is_escaped_on_every_page(client, executive, commander):
    term = create_term(
        by=commander,
        name="Hostile",
        technical_definition=HOSTILE,
        plain_definition=HOSTILE,
        examples=HOSTILE,
        variants=["<b>bold</b>"],
    )
    revise_term(term=term, by=commander, note=HOSTILE, plain_definition=HOSTILE + " again")
    client.force_login(executive)
    for url in (
        reverse("glossary:list"),
        reverse("glossary:list") + "?q=%3Cscript%3E",
        reverse("glossary:term", args=["hostile"]),
        reverse("glossary:version", args=["hostile", 2]),
    ):
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page, (
            url
        )
        assert "&lt;script&gt;" in page, url


def test_glossary_pages_have_no_inline_script_or_style(client, executive, commander, terms):
    _, fp = terms
    revise_term(term=fp, by=commander, plain_definition="A false alarm.")
    client.force_login(executive)
    for url in (
        reverse("glossary:list"),
        reverse("glossary:term", args=["false-positive"]),
        reverse("glossary:version", args=["false-positive", 2]),
    ):
        page = client.get(url).text
        assert "<style" not in page and " style=" not in page, url
        assert all(' src="' in tag for tag in page.split("<script")[1:]), url
        assert '<main id="main"' in page and page.count("<h1") == 1, url


def test_the_search_form_is_labelled(client, executive, terms):
    client.force_login(executive)
    page = client.get(reverse("glossary:list")).text
    assert '<label for="q">' in page and '<label for="kind">' in page
    assert 'role="search"' in page and 'role="status"' in page
