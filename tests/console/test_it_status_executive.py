"""/status/: every active real incident in business terms, read-only, cached per data version."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comms.models import Deadline
from console.pages import status as status_page
from glossary.services import create_term
from incidents.models import Incident
from tests.builders import add_points, declare, publish_renditions, resolve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

URL = "/status/"


def main_of(response) -> str:
    return re.search(r"<main.*?</main>", response.content.decode(), re.S).group(0)


@pytest.mark.parametrize("persona", ["executive", "responder", "commander", "admin_user"])
def test_readers_see_it(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("persona", ["regulator", "outsider"])
def test_regulator_viewers_and_outsiders_get_403(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert client.get(URL + "?fragment=1").status_code == 403


def test_strangers_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(URL + "?fragment=1").status_code == 302


def test_it_shows_impact_summary_and_next_update(
    client, executive, commander, responder, fraud_model
):
    create_term(
        by=commander,
        name="False positive",
        variants=["false positives"],
        technical_definition="FP",
        plain_definition="a genuine customer wrongly treated as fraud",
    )
    incident = declare(
        commander,
        fraud_model,
        title="Fraud model FP surge",
        severity=1,
        customers_affected=2400,
        revenue_at_risk_per_hour="37400",
        regulatory_exposure="medium",
    )
    update = publish_renditions(
        incident,
        commander,
        responder,
        executive={
            "summary": "False positives decline genuine customers; about 2,400 affected.",
            "body": "Revenue at risk near $37,400 an hour.",
        },
        technical={"summary": "TECH-ONLY rollback to v41"},
    )
    client.force_login(executive)

    html = main_of(client.get(URL))

    assert "Critical severity" in html
    assert "2,400" in html and "$37,400" in html and "Medium" in html
    assert "decline genuine customers; about 2,400 affected." in html
    assert (
        'href="/glossary/false-positive/"' in html
        and "a genuine customer wrongly treated as fraud" in html
    )
    assert "TECH-ONLY" not in html
    due = Deadline.objects.open().get(incident=incident, audience="executive").due_at
    assert due.strftime("%Y-%m-%dT%H:%M:%S") in html
    assert update.published_at.strftime("%Y-%m-%dT%H:%M:%S") in html


def test_it_lists_active_and_recently_resolved_real_incidents_only(client, executive, commander):
    declare(commander, None, title="Active one")
    declare(commander, None, title="A drill", is_drill=True)
    resolve(declare(commander, None, title="Resolved yesterday"), commander)
    old = resolve(declare(commander, None, title="Resolved long ago", hours_ago=300), commander)
    Incident.objects.filter(pk=old.pk).update(
        resolved_at=timezone.now() - timedelta(days=8), updated_at=timezone.now()
    )
    client.force_login(executive)

    html = main_of(client.get(URL))

    active, resolved = html.split('id="resolved-h"')
    assert "Active one" in active and "Resolved yesterday" not in active
    assert "Resolved yesterday" in resolved
    assert "A drill" not in html and "Resolved long ago" not in html


def test_it_has_no_write_control_and_no_inline_script(
    client, executive, commander, responder, fraud_model
):
    incident = declare(commander, fraud_model)
    add_points(
        fraud_model, "false_positive_rate", [4.0] * 20, start=timezone.now() - timedelta(hours=3)
    )
    publish_renditions(
        incident, commander, responder, executive={"summary": "Declines are back to normal."}
    )
    client.force_login(executive)

    response = client.get(URL)
    html, main = response.content.decode(), main_of(response)

    assert "<form" not in main and "<button" not in main
    assert "<noscript>" in main
    assert 'class="chart"' in main  # the customers-affected trend
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'type="application/json"' in tag or ('src="/static/' in tag and "defer" in tag), tag
    assert not re.search(r"\sstyle=", html)
    assert 'http-equiv="refresh"' not in html


def test_writes_are_refused(client, executive):
    client.force_login(executive)
    assert client.post(URL).status_code == 405


def test_a_304_answers_a_matching_etag_and_a_publication_changes_it(
    client, executive, commander, responder
):
    incident = declare(commander, None)
    client.force_login(executive)
    first = client.get(URL)
    etag = first["ETag"]
    assert (
        etag.startswith('W/"')
        and "Cookie" in first["Vary"]
        and "no-cache" in first["Cache-Control"]
    )

    again = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag

    publish_renditions(incident, commander, responder, executive={"summary": "Now contained."})
    changed = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Now contained." in changed.content.decode()


def test_the_page_etag_is_per_user_but_the_content_is_shared(client, executive, commander):
    declare(commander, None)
    client.force_login(executive)
    eve = client.get(URL)
    client.force_login(commander)
    cara = client.get(URL)
    assert eve["ETag"] != cara["ETag"]  # the page carries the viewer's name
    assert client.get(URL, HTTP_IF_NONE_MATCH=eve["ETag"]).status_code == 200
    assert "Cara" in cara.content.decode() and "Cara" not in main_of(cara)


def test_the_fragment_is_the_cached_content_with_its_own_etag(client, executive, commander):
    declare(commander, None, title="Fragment check")
    client.force_login(executive)
    page = client.get(URL)
    fragment_etag = (
        re.search(r'data-etag="([^"]+)"', page.content.decode()).group(1).replace("&quot;", '"')
    )

    fragment = client.get(URL + "?fragment=1")
    assert fragment["ETag"] == fragment_etag and fragment["X-Status-Fragment"] == "1"
    assert (
        "Fragment check" in fragment.content.decode() and "<html" not in fragment.content.decode()
    )
    assert client.get(URL + "?fragment=1", HTTP_IF_NONE_MATCH=fragment_etag).status_code == 304


def test_metric_points_deadlines_and_glossary_change_the_version(
    client, executive, commander, fraud_model
):
    incident = declare(commander, fraud_model)
    client.force_login(executive)
    etag = client.get(URL)["ETag"]
    add_points(
        fraud_model, "false_positive_rate", [3.0], start=timezone.now() - timedelta(minutes=5)
    )
    etag2 = client.get(URL)["ETag"]
    assert etag2 != etag
    Deadline.objects.open().filter(incident=incident).update(snoozed_at=timezone.now())
    etag3 = client.get(URL)["ETag"]
    assert etag3 != etag2
    create_term(
        by=commander, name="Rollback", technical_definition="Revert", plain_definition="go back"
    )
    assert client.get(URL)["ETag"] != etag3


@pytest.mark.parametrize("incidents", [5, 50])
def test_queries_are_constant(
    client, executive, commander, responder, fraud_model, incidents, django_assert_num_queries
):
    create_term(
        by=commander, name="Rollback", technical_definition="Revert", plain_definition="go back"
    )
    add_points(
        fraud_model,
        "false_positive_rate",
        [3.0 + i % 3 for i in range(150)],
        start=timezone.now() - timedelta(hours=25),
    )
    for i in range(incidents):
        incident = declare(commander, fraud_model, title=f"Incident {i}", severity=1 + i % 4)
        if i % 2:
            publish_renditions(
                incident, commander, responder, executive={"summary": f"Summary {i}"}
            )
    client.force_login(executive)
    # Chrome: session, user, groups, inbox badge; the version; content: incidents, renditions,
    # deadlines, models, rules, metric buckets, and the glossary version (glossify; the terms
    # themselves are compiled once per glossary version and process, here by create_term).
    with django_assert_num_queries(12):
        cold = client.get(URL)
    page = cold.content.decode()
    # The most severe in full, the others in brief: every one of them is on the page.
    assert page.count('class="status-incident') == min(incidents, status_page.DETAILED)
    assert all(f"Incident {i}<" in page or f"Incident {i} " in page for i in range(incidents))
    with django_assert_num_queries(4):  # the kept page: session, user, groups, the version
        assert client.get(URL).status_code == 200
    with django_assert_num_queries(4):  # 304: session, user, groups, version
        assert client.get(URL, HTTP_IF_NONE_MATCH=cold["ETag"]).status_code == 304


def test_a_kept_page_shows_each_viewer_their_own_name(client, executive, commander):
    """The whole page is kept per viewer for a few seconds: never one viewer's page for another."""
    executive.first_name, executive.last_name = "Erin", "Exec"
    executive.save()
    commander.first_name, commander.last_name = "Cato", "Commander"
    commander.save()
    for _ in range(2):  # the second round is served from the kept pages
        client.force_login(executive)
        page = client.get(URL).content.decode()
        assert "Erin Exec" in page and "Cato Commander" not in page
        assert ">Declare<" not in page  # executives cannot declare: the nav says so
        client.force_login(commander)
        page = client.get(URL).content.decode()
        assert "Cato Commander" in page and "Erin Exec" not in page
        assert ">Declare<" in page


def test_a_pending_message_is_shown_on_a_kept_page(client, executive):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    client.force_login(executive)
    client.get(URL)  # the page is now kept for this viewer
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.INFO, "Signed in via SSO-7Q")])
    assert "Signed in via SSO-7Q" in client.get(URL).content.decode()
    assert "Signed in via SSO-7Q" not in client.get(URL).content.decode()  # shown once, as always
