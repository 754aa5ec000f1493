from __future__ import annotations

import pytest

from glossary.services import create_term, revise_term
from tests.helpers import census, error_fields

TERMS = "/api/v1/glossary/terms/"


@pytest.fixture
def drift(db):
    psi = create_term(
        by=None,
        name="PSI",
        technical_definition="Population stability index",
        plain_definition="How much the inputs changed",
    )
    term = create_term(
        by=None,
        name="Drift",
        technical_definition="Shift in the input distribution",
        plain_definition="The world changed and the model did not",
        variants=["data drift"],
        related=[psi],
    )
    return revise_term(
        term=term, by=None, note="Clearer", plain_definition="The data moved away from training"
    )


def test_it_lists_and_searches_terms(client_for, drift):
    client = client_for("outsider")  # anyone signed in reads the glossary
    assert [t["slug"] for t in client.get(TERMS).json()["results"]] == ["drift", "psi"]
    assert [t["slug"] for t in client.get(TERMS, {"q": "DATA DRIFT"}).json()["results"]] == [
        "drift"
    ]
    assert [t["slug"] for t in client.get(TERMS, {"q": "stability"}).json()["results"]] == ["psi"]
    assert client.get(TERMS, {"q": "zebra"}).json()["count"] == 0
    assert client.get(TERMS).json()["results"][0]["related"] == ["psi"]


def test_it_shows_a_term_with_its_versions(client_for, drift):
    r = client_for("regulator").get(f"{TERMS}drift/")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == 2
    assert body["plain_definition"] == "The data moved away from training"
    assert [v["version"] for v in body["versions"]] == [2, 1]


def test_it_shows_an_old_version(client_for, drift):
    r = client_for("executive").get(f"{TERMS}drift/versions/1/")
    assert r.status_code == 200
    assert r.json()["plain_definition"] == "The world changed and the model did not"
    assert client_for("executive").get(f"{TERMS}drift/versions/3/").status_code == 404


def test_it_creates_a_term(client_for, responder, drift):
    r = client_for("responder").post(
        TERMS,
        {
            "name": "False positive",
            "technical_definition": "Predicted positive, actually negative",
            "plain_definition": "A good customer treated as fraud",
            "variants": ["FP"],
            "related": ["drift"],
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r["Location"] == f"{TERMS}false-positive/"
    assert r.json()["version"] == 1 and r.json()["related"] == ["drift"]
    assert [v["version"] for v in r.json()["versions"]] == [1]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"technical_definition": "t", "plain_definition": "p"}, 400, "name"),
        ({"name": "X", "plain_definition": "p"}, 400, "technical_definition"),
        (
            {
                "name": "X",
                "technical_definition": "t",
                "plain_definition": "p",
                "related": ["nope"],
            },
            400,
            "related",
        ),
        (
            {"name": "X", "technical_definition": "t", "plain_definition": "p", "variants": "FP"},
            400,
            "variants",
        ),
        (
            {
                "name": "X",
                "technical_definition": "t",
                "plain_definition": "p",
                "variants": ["ok", ""],
            },
            400,
            "variants[1]",
        ),
        ({"name": "!!!", "technical_definition": "t", "plain_definition": "p"}, 400, "name"),
        ({"name": "drift", "technical_definition": "t", "plain_definition": "p"}, 409, "name"),
    ],
)
def test_it_refuses_bad_terms(client_for, responder, drift, body, status, field):
    before = census()
    r = client_for("responder").post(TERMS, body, format="json")
    assert r.status_code == status, r.json()
    assert field in error_fields(r)
    assert census() == before


def test_it_revises_a_term(client_for, commander, drift):
    r = client_for("commander").post(
        f"{TERMS}drift/revise/",
        {"examples": "FP rate rose after the schema change", "note": "Example"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json()["version"] == 3
    assert r.json()["versions"][0] == {
        "version": 3,
        "changed_at": r.json()["versions"][0]["changed_at"],
        "change_note": "Example",
    }


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({"note": "nothing"}, "non_field_errors", 400),
        # Well-formed, but equal to the current version: the term's state refuses it.
        ({"plain_definition": "The data moved away from training"}, "non_field_errors", 409),
        ({"plain_definition": ""}, "plain_definition", 400),
    ],
)
def test_it_refuses_empty_revisions(client_for, commander, drift, body, field, status):
    before = census()
    r = client_for("commander").post(f"{TERMS}drift/revise/", body, format="json")
    assert r.status_code == status, r.json()
    assert field in error_fields(r)
    assert census() == before
