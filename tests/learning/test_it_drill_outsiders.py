"""Drills stay drills for those outside them (#10 item 6).

The attacks: the regulator API handed a regulator viewer a drill's regulator
rendition; a drill that found no watched model created one that then showed
on the public /api/v2/components.json; review lists showed drill reviews to
people who took no part in the drill.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from comms import workflows
from comms.services import create_draft, publish_update, sign_off
from incidents.choices import Role
from incidents.models import Incident, MonitoredModel
from incidents.services import assign_role
from learning.drills import runs
from learning.reviews.services import start_review
from tests.learning.review_support import resolved_incident

# The Statuspage documents are cached per data version: each test gets its own cache prefix.
pytestmark = pytest.mark.usefixtures("own_cache_prefix")

REGULATOR_LIST = "/api/v1/regulator/updates/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def publish_regulator(incident, commander, liaison, summary):
    """Publish a signed-off regulator rendition: the liaison signs, the commander publishes (four eyes)."""
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed="Rolled back",
        renditions={"regulator": {"summary": summary}},
    )
    sign_off(update=update, by=liaison)
    return publish_update(update=update, by=commander).renditions.get()


@pytest.fixture
def both(clock, commander, liaison, fraud_model):
    """A drill and a real incident, each with a published, signed-off regulator rendition."""
    drill = runs.start_drill(by=commander, scenario="fraud-fp-surge", clock_factor=60).incident
    real = workflows.declare_incident(
        by=commander, title="Card payments declined", severity=2, models=[(fraud_model, "")]
    )
    for incident in (drill, real):
        assign_role(incident=incident, role=Role.REGULATOR, user=liaison, by=commander)
    return {
        "drill": publish_regulator(drill, commander, liaison, "Drill: no customer data exposed"),
        "real": publish_regulator(real, commander, liaison, "Real: no customer data exposed"),
    }


def listed(user) -> set[int]:
    response = api(user).get(REGULATOR_LIST)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


class TestRegulatorApi:
    def test_a_regulator_viewer_sees_real_renditions_only(self, both, regulator):
        assert listed(regulator) == {both["real"].pk}
        assert api(regulator).get(f"{REGULATOR_LIST}{both['drill'].pk}/").status_code == 404
        assert api(regulator).get(f"{REGULATOR_LIST}{both['real'].pk}/").status_code == 200

    def test_those_in_the_drill_still_see_it(self, both, commander, liaison):
        assert listed(commander) == {both["drill"].pk, both["real"].pk}  # started it
        assert listed(liaison) == {both["drill"].pk, both["real"].pk}  # holds a role in it

    def test_a_responder_outside_the_drill_does_not(self, both, commander2):
        assert listed(commander2) == {both["real"].pk}


class TestDrillModels:
    def test_a_model_a_drill_creates_is_not_a_public_component(self, clock, commander, client):
        assert not MonitoredModel.objects.filter(slug="recommendations").exists()
        runs.start_drill(by=commander, scenario="recommender-latency-peak", clock_factor=60)
        created = MonitoredModel.objects.get(slug="recommendations")
        assert created.is_drill
        components = client.get(reverse("statuspage-components")).json()["components"]
        assert created.name not in {c["name"] for c in components}

    def test_a_drill_reusing_a_real_model_leaves_it_public(
        self, clock, commander, fraud_model, client
    ):
        runs.start_drill(by=commander, scenario="fraud-fp-surge", clock_factor=60)
        fraud_model.refresh_from_db()
        assert not fraud_model.is_drill
        components = client.get(reverse("statuspage-components")).json()["components"]
        assert fraud_model.name in {c["name"] for c in components}


class TestReviewLists:
    @pytest.fixture
    def drill_review(self, clock, commander, responder, fraud_model):
        incident = resolved_incident(clock, commander, responder, fraud_model)
        # A resolved drill: the same record, flagged as a drill (as start_drill flags its incident).
        Incident.objects.filter(pk=incident.pk).update(is_drill=True)
        incident.refresh_from_db()
        return start_review(incident=incident, by=commander)

    def test_the_api_lists_a_drill_review_only_to_those_in_the_drill(
        self, drill_review, commander, responder, commander2
    ):
        def ids(user):
            response = api(user).get("/api/v1/reviews/")
            assert response.status_code == 200, response.content
            return {row["incident"] for row in response.json()["results"]}

        assert ids(commander) == ids(responder) == {drill_review.incident_id}
        assert ids(commander2) == set()

    def test_the_page_lists_a_drill_review_only_to_those_in_the_drill(
        self, drill_review, commander, commander2, client
    ):
        reference = drill_review.incident.reference
        client.force_login(commander)
        assert reference in client.get(reverse("reviews:list")).content.decode()
        client.force_login(commander2)
        assert reference not in client.get(reverse("reviews:list")).content.decode()
