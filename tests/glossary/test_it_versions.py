"""Terms evolve; every earlier version stays readable."""

import pytest

from glossary.models import TermVersion
from glossary.services import create_term, revise_term
from kit.errors import Conflict, DomainError


@pytest.fixture
def psi(commander):
    return create_term(
        by=commander,
        name="PSI",
        variants=["population stability index"],
        technical_definition="Population stability index: sum((a-e)*ln(a/e)) over bins.",
        plain_definition="A score of how much today's customers differ from the ones the model learned from.",
    )


def test_creating_a_term_records_version_one(psi):
    assert (psi.slug, psi.version) == ("psi", 1)
    assert list(psi.versions.values_list("version", "change_note")) == [(1, "Created")]
    assert psi.spellings() == ["PSI", "population stability index"]


def test_a_revision_adds_a_version_and_keeps_the_old_text(psi, commander, responder):
    old_plain = psi.plain_definition
    revise_term(
        term=psi,
        by=responder,
        note="Simpler",
        plain_definition="How much the incoming data has shifted.",
    )

    psi.refresh_from_db()
    assert (psi.version, psi.plain_definition) == (2, "How much the incoming data has shifted.")
    v1 = psi.versions.get(version=1)
    assert (v1.plain_definition, v1.changed_by) == (old_plain, commander)
    assert psi.versions.get(version=2).changed_by == responder


def test_versions_cannot_be_rewritten(psi):
    version = psi.versions.get()
    version.plain_definition = "Rewritten"
    with pytest.raises(PermissionError):
        version.save()
    with pytest.raises(PermissionError):
        TermVersion.objects.filter(pk=version.pk).update(plain_definition="Rewritten")


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"plain_definition": ""}, "plain_definition"),
        ({"variants": "p95"}, "variants"),
        ({"slug": "x"}, "slug"),
    ],
)
def test_bad_revisions_name_the_field_and_change_nothing(psi, responder, changes, field):
    with pytest.raises(DomainError) as excinfo:
        revise_term(term=psi, by=responder, **changes)
    assert excinfo.value.field == field
    assert type(excinfo.value) is DomainError  # invalid input, not a refusal of rights or state
    psi.refresh_from_db()
    assert psi.version == 1


def test_names_stay_unique(psi, commander):
    drift = create_term(by=commander, name="Drift", technical_definition="t", plain_definition="p")
    with pytest.raises(Conflict, match=r"A term named 'psi' exists; revise it instead\."):
        create_term(by=commander, name="psi", technical_definition="t", plain_definition="p")
    with pytest.raises(Conflict, match=r"Another term is named 'PSI'\."):
        revise_term(term=drift, by=commander, name="PSI")
