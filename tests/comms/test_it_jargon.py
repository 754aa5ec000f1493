"""POST /api/v1/jargon-check/: technical terms, their positions and plain definitions."""

from __future__ import annotations

import pytest

from glossary.services import create_term
from tests.builders import jargon_terms
from tests.helpers import error_fields, token_client

URL = "/api/v1/jargon-check/"


@pytest.fixture
def terms(db):
    jargon_terms()
    create_term(
        by=None,
        name="Revenue",
        technical_definition="Income",
        plain_definition="Income",
        is_technical=False,
    )


def check(user, text: str, audience: str = "executive") -> dict:
    response = token_client(user).post(URL, {"text": text, "audience": audience}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_terms_and_variants_are_found_with_positions_and_plain_definitions(terms, responder):
    text = "PSI rose, p95 latency doubled and false positives hit revenue."
    result = check(responder, text)
    assert result["flagged"] is True
    assert [(m["slug"], m["term"], m["matched"]) for m in result["matches"]] == [
        ("psi", "PSI", "PSI"),
        ("p95", "p95", "p95 latency"),
        ("false-positive", "False positive", "false positives"),
    ]
    for match in result["matches"]:
        assert text[match["start"] : match["end"]] == match["matched"]
    assert (
        result["matches"][1]["plain_definition"] == "How long the slowest 1 in 20 requests takes."
    )


@pytest.mark.parametrize("audience", ["executive", "regulator", "customer"])
def test_plain_language_audiences_are_flagged(terms, responder, audience):
    assert check(responder, "The p99 is fine", audience)["flagged"] is True


def test_the_technical_audience_sees_the_terms_unflagged(terms, responder):
    result = check(responder, "The p99 is fine", "technical")
    assert result["flagged"] is False and [m["matched"] for m in result["matches"]] == ["p99"]


@pytest.mark.parametrize(
    "text",
    [
        "Customers could not pay; revenue fell.",  # a term not marked technical
        "The psi of the boiler is normal.",  # acronyms match in capitals only
        "FPS and P95X are not terms.",  # whole words only
        "",
    ],
)
def test_plain_text_passes(terms, responder, text):
    assert check(responder, text) == {"matches": [], "flagged": False}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "p95", "audience": "board"}, "audience"),
        ({"text": "p95"}, "audience"),
        ({"audience": "executive"}, "text"),
        ({"text": 42 * "x" * 1000, "audience": "executive"}, "text"),
        ({"text": ["p95"], "audience": "executive"}, "text"),
    ],
)
def test_bad_input_is_refused_naming_the_field(terms, responder, body, field):
    response = token_client(responder).post(URL, body, format="json")
    assert response.status_code == 400 and field in error_fields(response)


@pytest.mark.parametrize("persona", ["outsider", "regulator", "executive", "commander"])
def test_anyone_signed_in_may_check(terms, request, persona):
    assert check(request.getfixturevalue(persona), "p95")["flagged"] is True


def test_anonymous_callers_are_refused(terms):
    response = token_client(None).post(URL, {"text": "p95", "audience": "executive"}, format="json")
    assert response.status_code == 401
