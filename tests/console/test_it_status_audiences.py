"""Audience views: the regulator's signed-off disclosures and the responders' technical view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.services import create_draft, submit_for_signoff
from glossary.jargon import current_glossary
from incidents.choices import Role
from incidents.services import assign_role
from tests.builders import add_points, declare, publish_renditions

pytestmark = pytest.mark.django_db

REGULATOR_URL = "/status/regulator/"


@pytest.fixture
def disclosed(commander, responder, liaison, fraud_model):
    incident = declare(commander, fraud_model, title="INTERNAL-TITLE-9K", severity=1)
    publish_renditions(
        incident,
        commander,
        responder,
        regulator_liaison=liaison,
        regulator={
            "summary": "SIGNED-9K no customer data was exposed.",
            "body": "Disclosure detail.",
        },
        technical={"summary": "TECH-9K rollback"},
        executive={"summary": "EXEC-9K"},
        customer={"summary": "CUSTOMER-9K"},
    )
    # A regulator rendition awaiting sign-off, and a drill's signed-off one, must not show.
    pending = create_draft(
        incident=incident,
        by=commander,
        what_changed="Pending",
        renditions={"regulator": {"summary": "UNSIGNED-9K"}},
    )
    submit_for_signoff(update=pending, by=commander)
    drill = declare(commander, fraud_model, title="Drill", is_drill=True)
    publish_renditions(
        drill, commander, responder, regulator_liaison=liaison, regulator={"summary": "DRILL-9K"}
    )
    return incident


# One rule with the API's regulator channel: regulator viewers and every incident reader.
@pytest.mark.parametrize(
    "persona", ["regulator", "commander", "admin_user", "executive", "responder"]
)
def test_regulator_viewers_and_incident_readers_read_the_regulator_view(
    client, request, persona, disclosed
):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(REGULATOR_URL).content.decode()
    assert "SIGNED-9K no customer data was exposed." in html and "Disclosure detail." in html
    for marker in (
        "UNSIGNED-9K",
        "DRILL-9K",
        "TECH-9K",
        "EXEC-9K",
        "CUSTOMER-9K",
        "INTERNAL-TITLE-9K",
    ):
        assert marker not in html, marker


@pytest.mark.parametrize("persona", ["outsider"])
def test_others_get_403_from_the_regulator_view(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(REGULATOR_URL).status_code == 403


def test_the_regulator_view_runs_two_queries_after_the_chrome(
    client,
    regulator,
    disclosed,
    commander,
    responder,
    liaison,
    fraud_model,
    django_assert_num_queries,
):
    for i in range(5):
        publish_renditions(
            declare(commander, fraud_model, title=f"More {i}"),
            commander,
            responder,
            regulator_liaison=liaison,
            regulator={"summary": f"More {i}"},
        )
    client.force_login(regulator)
    # session, user, groups, renditions with their updates and incidents, inbox badge, glossary version,
    # (#10) the audit trail's record of this regulator read: one INSERT, the read is evidence, and
    # (#13) the reporting deadlines of the incidents shown.
    with django_assert_num_queries(8):
        assert client.get(REGULATOR_URL).status_code == 200


@pytest.mark.parametrize("persona", ["responder", "commander", "admin_user"])
def test_responders_read_the_technical_view(client, request, persona, disclosed, fraud_model):
    add_points(
        fraud_model,
        "false_positive_rate",
        [1.5] * 10 + [5.0] * 20,
        start=timezone.now() - timedelta(hours=5),
    )
    client.force_login(request.getfixturevalue(persona))
    html = client.get(f"/status/technical/{disclosed.pk}/").content.decode()
    for text in (
        "INTERNAL-TITLE-9K",
        "TECH-9K rollback",
        "EXEC-9K",
        "CUSTOMER-9K",
        "SIGNED-9K",
        "Rolled back to v41",
        "Root cause",
    ):
        assert text in html, text
    assert "UNSIGNED-9K" not in html  # not published
    assert f'id="chart-{disclosed.pk}-impact"' in html and 'type="application/json"' in html
    assert "<form" not in html.split("<main", 1)[1]


@pytest.mark.parametrize("persona", ["executive", "regulator", "outsider"])
def test_others_get_403_from_the_technical_view(client, request, persona, disclosed):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/status/technical/{disclosed.pk}/").status_code == 403


def test_a_drill_technical_view_charts_drill_points(client, commander, fraud_model):
    drill = declare(commander, fraud_model, title="Drill", is_drill=True)
    add_points(
        fraud_model,
        "false_positive_rate",
        [66.321] * 12,
        start=timezone.now() - timedelta(hours=2),
        is_drill=True,
    )
    add_points(
        fraud_model, "false_positive_rate", [55.123] * 12, start=timezone.now() - timedelta(hours=2)
    )
    client.force_login(commander)
    html = client.get(f"/status/technical/{drill.pk}/").content.decode()
    assert "66.321" in html, "drill points missing"
    assert "55.123" not in html


@pytest.mark.parametrize("points", [100, 10_000])
def test_technical_view_queries_do_not_grow(
    client, commander, responder, fraud_model, points, django_assert_num_queries
):
    incident = declare(commander, fraud_model, hours_ago=points / 60 / 2)
    assign_role(incident=incident, role=Role.SCRIBE, user=responder, by=commander)
    publish_renditions(incident, commander, responder, technical={"summary": "One"})
    add_points(
        fraud_model,
        "false_positive_rate",
        [1 + i % 5 for i in range(points)],
        start=incident.detected_at - timedelta(hours=1),
        step=timedelta(minutes=1),
    )
    client.force_login(commander)
    # The compiled glossary is per process: warm it, as any earlier request of the process would
    # (else the count depends on which tests ran before in this worker).
    current_glossary()
    # chrome (session, user, groups, inbox), incident, models, milestones, updates, renditions,
    # charts (rules, buckets), glossary version
    with django_assert_num_queries(12):
        assert client.get(f"/status/technical/{incident.pk}/").status_code == 200
