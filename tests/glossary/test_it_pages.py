"""Glossary pages: search, term page, readable version history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from glossary.services import create_term, revise_term

pytestmark = pytest.mark.django_db


@pytest.fixture
def terms(commander):
    latency = create_term(by=commander, name="Latency", technical_definition="Time to respond, per percentile.",
                          plain_definition="How long customers wait.", variants=["response time"])
    fp = create_term(by=commander, name="False positive", technical_definition="FP / (FP + TN).",
                     plain_definition="A wrong alarm.", variants=["false positives", "FP"],
                     examples="A genuine payment declined.", related=[latency])
    return latency, fp


def test_it_sends_anonymous_visitors_to_login(client, terms):
    for url in (reverse("glossary:list"), reverse("glossary:term", args=["latency"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["commander", "responder", "executive", "regulator", "outsider"])
def test_it_serves_every_signed_in_persona(client, request, terms, persona):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("glossary:list")).text
    assert "Latency" in page and "False positive" in page
    assert client.get(reverse("glossary:term", args=["false-positive"])).status_code == 200


@pytest.mark.parametrize(("q", "shown", "hidden"), [("FP", "False positive", "Latency"),
                                                     ("response time", "Latency", "False positive"),
                                                     ("customers wait", "Latency", "False positive")])
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
    revise_term(term=fp, by=commander, note="Clearer", plain_definition="A false alarm about a genuine customer.")
    client.force_login(executive)
    page = client.get(reverse("glossary:term", args=["false-positive"])).text
    assert "Version 2 (current)" in page and "Clearer" in page
    assert "A false alarm about a genuine customer." in page
    assert 'id="v1"' in page and "A wrong alarm." in page


def test_it_404s_for_an_unknown_term(client, executive):
    client.force_login(executive)
    assert client.get(reverse("glossary:term", args=["nope"])).status_code == 404
