"""/status/public/: what customers read, from customer renditions only; no login; cached."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from comms.services import create_draft
from incidents.models import Incident
from tests.builders import announced_maintenance, declare, publish_renditions, resolve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

URL = "/status/public/"
SECRETS = [
    "INTERNAL-TITLE-7Q",
    "SCOPE-7Q",
    "SUMMARY-7Q",
    "EXPERIENCE-7Q",
    "REGNOTE-7Q",
    "TECH-7Q",
    "EXEC-7Q",
    "REGULATOR-7Q",
    "DRAFT-7Q",
    "DRILL-7Q",
    "v41-model-7Q",
]


@pytest.fixture
def planted(commander, responder, liaison, fraud_model):
    """An incident whose every internal field and non-customer rendition carries a marker."""
    incident = declare(
        commander,
        fraud_model,
        title="INTERNAL-TITLE-7Q fraud FP surge",
        severity=1,
        scope="SCOPE-7Q",
        summary="SUMMARY-7Q",
        customer_experience="EXPERIENCE-7Q",
        regulatory_exposure="high",
        hours_ago=5,
    )
    Incident.objects.filter(pk=incident.pk).update(regulatory_notes="REGNOTE-7Q")
    publish_renditions(
        incident,
        commander,
        responder,
        regulator_liaison=liaison,
        customer={"summary": "Some card payments were declined in error.", "body": "Please retry."},
        technical={"summary": "TECH-7Q rollback of v41-model-7Q", "body": "TECH-7Q body"},
        executive={"summary": "EXEC-7Q summary", "body": "EXEC-7Q body"},
        regulator={"summary": "REGULATOR-7Q disclosure", "body": "REGULATOR-7Q body"},
    )
    create_draft(
        incident=incident,
        by=commander,
        what_changed="DRAFT-7Q",
        renditions={"customer": {"summary": "DRAFT-7Q customer draft"}},
    )
    drill = declare(commander, fraud_model, title="DRILL-7Q", is_drill=True)
    publish_renditions(
        drill, commander, responder, customer={"summary": "DRILL-7Q customer notice"}
    )
    return incident


def test_anyone_reads_it_without_logging_in(client, planted):
    response = client.get(URL)
    assert response.status_code == 200
    assert "Some card payments were declined in error." in response.content.decode()
    assert "Please retry." in response.content.decode()


def test_only_customer_renditions_reach_it(client, planted, executive):
    for viewer in (None, executive):  # a signed-in visitor sees the same page
        if viewer:
            client.force_login(viewer)
        html = client.get(URL).content.decode() + client.get(URL + "?fragment=1").content.decode()
        for marker in SECRETS:
            assert marker not in html, marker
        assert "INC-" not in html


def test_banner_follows_the_worst_severity_with_a_customer_notice(client, commander, responder):
    assert "All systems operational" in client.get(URL).content.decode()
    quiet = declare(
        commander, None, title="No notice", severity=1
    )  # no customer rendition: not public
    assert "All systems operational" in client.get(URL).content.decode()
    publish_renditions(
        declare(commander, None, title="Minor", severity=3),
        commander,
        responder,
        customer={"summary": "Recommendations load slowly."},
    )
    html = client.get(URL).content.decode()
    assert "Degraded service" in html and "Degraded performance" in html
    publish_renditions(quiet, commander, responder, customer={"summary": "Payments are failing."})
    assert re.search(
        r'class="banner banner-major".*Major outage', client.get(URL).content.decode(), re.S
    )


def test_it_shows_start_latest_update_and_recently_resolved(client, commander, responder):
    incident = declare(commander, None, hours_ago=4)
    publish_renditions(incident, commander, responder, customer={"summary": "First notice."})
    latest = publish_renditions(
        incident, commander, responder, customer={"summary": "Second notice."}
    )
    html = client.get(URL).content.decode()
    assert "Second notice." in html and "First notice." not in html
    assert incident.detected_at.strftime("%Y-%m-%dT%H:%M:%S") in html
    assert latest.published_at.strftime("%Y-%m-%dT%H:%M:%S") in html

    resolve(incident, commander)
    current, past = client.get(URL).content.decode().split('id="past-h"')
    assert "Second notice." in past and "Second notice." not in current
    Incident.objects.filter(pk=incident.pk).update(
        resolved_at=timezone.now() - timedelta(days=8), updated_at=timezone.now()
    )
    assert "Second notice." not in client.get(URL).content.decode()


def test_it_is_public_cacheable_and_answers_304(client, commander, responder):
    incident = declare(commander, None)
    first = client.get(URL)
    assert first["Cache-Control"] == "public, no-cache"
    assert "Cookie" not in first.get("Vary", "") and "sessionid" not in first.cookies
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    publish_renditions(incident, commander, responder, customer={"summary": "New notice."})
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_no_script_inline_and_no_write_control(client, planted):
    html = client.get(URL).content.decode()
    assert "<form" not in html and "<button" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag and "defer" in tag
    assert not re.search(r"\sstyle=", html)
    assert client.post(URL).status_code == 405


@pytest.mark.parametrize("incidents", [5, 50])
def test_queries_are_constant(
    client, commander, responder, fraud_model, incidents, django_assert_num_queries
):
    for i in range(incidents):
        incident = declare(commander, None, title=f"Incident {i}", severity=1 + i % 4)
        if i % 2:
            publish_renditions(incident, commander, responder, customer={"summary": f"Notice {i}"})
    for i in range(incidents // 5):
        announced_maintenance(commander, fraud_model, hours_ahead=i + 1)
    # version, incidents, renditions; components: models, incident links, maintenance links;
    # uptime: incident links, milestones, maintenance; maintenance and its components
    with django_assert_num_queries(11):
        cold = client.get(URL)
    assert cold.content.decode().count('class="status-incident') == incidents // 2
    with django_assert_num_queries(1):  # version only
        assert client.get(URL).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(URL, HTTP_IF_NONE_MATCH=cold["ETag"]).status_code == 304
