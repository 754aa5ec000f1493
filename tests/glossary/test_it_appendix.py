"""/incidents/<id>/glossary/: the terms an incident's published updates used, as defined then."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comms.services import create_draft, publish_update
from glossary.models import Term
from glossary.services import create_term, revise_term
from tests.builders import store_published


def url(incident) -> str:
    return reverse("incident-glossary", args=[incident.pk])


@pytest.fixture
def psi(commander, clock):
    return create_term(
        by=commander,
        name="PSI",
        variants=["population stability index"],
        technical_definition="Sum of (a-e)*ln(a/e) over bins.",
        plain_definition="How different today's customers are from the ones the model learned from.",
    )


@pytest.fixture
def rollback(commander, clock):
    return create_term(
        by=commander,
        name="Rollback",
        variants=["rolled back"],
        is_technical=False,
        technical_definition="Redeploy the previous model version.",
        plain_definition="Going back to the version that worked.",
    )


@pytest.mark.parametrize("persona", ["commander", "responder", "executive", "admin_user"])
def test_incident_readers_read_the_appendix(client, request, incident, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(incident)).status_code == 200


@pytest.mark.parametrize("persona", ["regulator", "outsider"])
def test_regulator_viewers_and_outsiders_are_refused(client, request, incident, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(incident)).status_code == 403


def test_anonymous_visitors_go_to_login_and_unknown_incidents_404(client, executive, incident):
    assert client.get(url(incident))["Location"].startswith(reverse("login"))
    client.force_login(executive)
    assert client.get(reverse("incident-glossary", args=[incident.pk + 999])).status_code == 404


def test_it_lists_each_term_with_its_definitions_and_where_it_was_used(
    client, executive, incident, psi, rollback, clock
):
    store_published(
        incident,
        1,
        clock.advance(minutes=5),
        what_changed="PSI crossed 0.2 on income.",
        technical=("PSI 0.31", "Population stability index is high."),
        executive=("We rolled back the fraud model.", ""),
    )
    client.force_login(executive)
    page = client.get(url(incident)).text

    assert page.index('id="term-psi"') < page.index('id="term-rollback"')
    assert "How different today&#x27;s customers are from the ones the model learned from." in page
    assert "Sum of (a-e)*ln(a/e) over bins." in page
    assert "Going back to the version that worked." in page
    assert "Version 1, in force for update 1" in page
    assert "Update 1</a>, What changed (all audiences)" in page
    assert "Update 1</a>, Technical summary" in page and "Update 1</a>, Technical detail" in page
    assert "Update 1</a>, Executive / business summary" in page
    assert "We <mark>rolled back</mark> the fraud model." in page
    assert "Changed since" not in page


def test_it_ignores_drafts_and_other_incidents(
    client, executive, incident, commander, psi, rollback, clock
):
    from incidents.services import declare_incident

    create_draft(
        incident=incident,
        by=commander,
        what_changed="PSI is high",
        renditions={"technical": {"summary": "PSI", "body": ""}},
    )
    other = declare_incident(by=commander, title="Other", severity=3, scope="x")
    store_published(other, 1, clock.advance(minutes=1), what_changed="We rolled back.")
    client.force_login(executive)
    page = client.get(url(incident)).text
    assert 'id="term-psi"' not in page and 'id="term-rollback"' not in page
    assert "none is published yet" in page


def test_it_shows_the_version_in_force_at_each_update_and_says_when_a_term_changed_since(
    client, executive, incident, commander, psi, rollback, clock
):
    store_published(incident, 1, clock.advance(hours=1), technical=("PSI is 0.3", ""))
    clock.advance(hours=1)
    revise_term(
        term=psi,
        by=commander,
        note="Simpler",
        plain_definition="How much the incoming data has shifted.",
    )
    store_published(incident, 2, clock.advance(hours=1), technical=("PSI is 0.1", ""))
    clock.advance(hours=1)
    revise_term(term=psi, by=commander, plain_definition="How far the incoming data has moved.")
    client.force_login(executive)
    page = client.get(url(incident)).text

    assert "Version 1, in force for update 1" in page and "Version 2, in force for update 2" in page
    assert page.index("How different today") < page.index("How much the incoming data has shifted.")
    assert "How far the incoming data has moved." not in page  # version 3 came after every update
    assert "Changed since:</strong> the term is now at version 3." in page
    assert 'href="/glossary/psi/v/3/"' in page


def test_a_term_added_after_an_update_says_so(client, executive, incident, commander, clock):
    store_published(
        incident, 1, clock.advance(minutes=1), technical=("Error budget burn is 4x", "")
    )
    clock.advance(minutes=1)
    create_term(
        by=commander,
        name="Error budget",
        technical_definition="1 - SLO",
        plain_definition="Allowed failures.",
    )
    client.force_login(executive)
    page = client.get(url(incident)).text
    assert "added to the glossary after update 1" in page and "Allowed failures." in page


def test_it_works_with_updates_published_by_the_comms_service(
    client, executive, incident, commander, psi
):
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed="PSI on income rose",
        renditions={
            "technical": {"summary": "PSI 0.3", "body": ""},
            "executive": {"summary": "Customer mix shifted", "body": ""},
        },
    )
    publish_update(update=update, by=commander)
    client.force_login(executive)
    page = client.get(url(incident)).text
    assert "Version 1, in force for update 1" in page and "Technical summary" in page


def test_html_in_updates_and_definitions_is_escaped(client, executive, incident, commander, clock):
    create_term(
        by=commander,
        name="Drift",
        technical_definition="<b>t</b>",
        plain_definition="<script>p</script>",
    )
    store_published(
        incident,
        1,
        clock.advance(minutes=1),
        what_changed='<img src=x onerror="alert(1)"> Drift <i>x</i>',
    )
    client.force_login(executive)
    page = client.get(url(incident)).text
    assert (
        "<script>p" not in page
        and "<b>t" not in page
        and "<img src=x" not in page
        and "<i>x" not in page
    )
    assert "&lt;script&gt;p&lt;/script&gt;" in page
    assert (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>Drift</mark> &lt;i&gt;x&lt;/i&gt;"
        in page
    )


def _terms(commander, count):
    for i in range(count):
        create_term(
            by=commander,
            name=f"Term{i:02d}",
            technical_definition="t",
            plain_definition=f"plain {i}",
        )
    return " ".join(f"Term{i:02d}" for i in range(count))


def _page_and_queries(client, incident):
    client.get(url(incident))  # compile the glossary once, as the first request after a change does
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(incident)).text
    return page, queries


# The page's own queries: incident, updates, renditions, glossary fingerprint, terms, term versions.
OWN_TABLES = ('"incidents_incident"', '"comms_statusupdate"', '"comms_rendition"', '"glossary_')
OWN_QUERIES = 6


def own_queries(queries) -> list[str]:
    """Leave out the shared page chrome (session, user, groups, inbox badge)."""
    return [q["sql"] for q in queries if any(f"FROM {table}" in q["sql"] for table in OWN_TABLES)]


def test_queries_stay_constant_whatever_the_number_of_updates(
    client, executive, incident, commander, clock
):
    words = _terms(commander, 5)
    client.force_login(executive)
    counts = []
    for n in range(1, 11):
        store_published(
            incident,
            n,
            clock.advance(minutes=1),
            what_changed=words,
            technical=(words, words),
            executive=(words, ""),
        )
        if n in (1, 10):
            page, queries = _page_and_queries(client, incident)
            assert page.count('class="g-entry"') == 5
            assert page.count("<mark>Term00</mark>") == 4 * n
            assert len(own_queries(queries)) == OWN_QUERIES, own_queries(queries)
            counts.append(len(queries))
    assert counts[0] == counts[1]


def test_queries_stay_constant_whatever_the_number_of_terms(
    client, executive, incident, commander, clock
):
    client.force_login(executive)
    counts = []
    for n, terms in enumerate((5, 30), start=1):
        Term.objects.all().delete()
        words = _terms(commander, terms)
        for term in Term.objects.all()[:3]:
            revise_term(term=term, by=commander, plain_definition="revised")
        store_published(incident, n, clock.advance(minutes=1), technical=(words[:500], words))
        page, queries = _page_and_queries(client, incident)
        assert page.count('class="g-entry"') == terms
        assert len(own_queries(queries)) == OWN_QUERIES, own_queries(queries)
        counts.append(len(queries))
    assert counts[0] == counts[1]
