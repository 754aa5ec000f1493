"""Reading a review's regulator rendition is on the audit trail, on the page and in the API (#10 item 11)."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import Action, AuditEvent
from learning.reviews import services as review_services
from tests.helpers import token_client
from tests.learning.review_support import complete, resolved_incident


@pytest.fixture
def published(clock, commander, responder, fraud_model):
    incident = resolved_incident(clock, commander, responder, fraud_model)
    review = review_services.start_review(incident=incident, by=commander)
    review_services.edit_review(
        review=review, by=commander, **complete({"regulator_disclosure": "No data exposed."})
    )
    review_services.sign_off_regulator(review=review, by=commander)
    review_services.publish_review(review=review, by=commander)
    return incident


def reads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.REGULATOR_READ).order_by("id"))


def test_a_regulator_reading_the_review_through_the_api_is_recorded(published, regulator):
    # No ?audience=: a regulator viewer's only rendition is the regulator one.
    response = token_client(regulator).get(f"/api/v1/incidents/{published.pk}/review/")
    assert (response.status_code, response.json()["audience"]) == (200, "regulator")
    [event] = reads()
    assert (
        event.actor == regulator
        and event.details["path"] == f"/api/v1/incidents/{published.pk}/review/"
    )


def test_the_review_page_and_its_markdown_export_are_recorded(published, regulator):
    client = Client(REMOTE_ADDR="198.51.100.9")
    client.force_login(regulator)
    assert client.get(f"/reviews/{published.pk}/").status_code == 200
    assert client.get(f"/reviews/{published.pk}/markdown/").status_code == 200
    assert [e.details["path"] for e in reads()] == [
        f"/reviews/{published.pk}/",
        f"/reviews/{published.pk}/markdown/",
    ]
    assert {e.client_address for e in reads()} == {"198.51.100.9"}


def test_other_renditions_are_not_regulator_reads(published, executive, commander):
    assert (
        token_client(executive)
        .get(f"/api/v1/incidents/{published.pk}/review/?audience=executive")
        .status_code
        == 200
    )
    client = Client()
    client.force_login(commander)
    assert client.get(f"/reviews/{published.pk}/?audience=technical").status_code == 200
    assert reads() == []
    # The commander reading the regulator rendition is a regulator read too.
    assert client.get(f"/reviews/{published.pk}/?audience=regulator").status_code == 200
    assert [e.actor for e in reads()] == [commander]
