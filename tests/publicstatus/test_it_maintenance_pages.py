"""/maintenance/: readers read, commanders schedule and step windows (POST-redirect, or htmx card)."""

from __future__ import annotations

import pytest
from django.test import Client

from publicstatus.models import Maintenance
from tests.builders import announced_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

URL = "/maintenance/"
FORM = {
    "name": "Feature store upgrade",
    "body": "Scores may be slower.",
    "scheduled_for": "2030-03-01T12:00",
    "scheduled_until": "2030-03-01T13:00",
    "components": ["fraud-scoring"],
    "impact": "maintenance",
}


@pytest.mark.parametrize("persona", ["responder", "executive"])
def test_readers_read_without_forms_and_cannot_post(
    client, request, persona, commander, fraud_model
):
    announced_maintenance(commander, fraud_model, name="Upgrade 7Q")
    client.force_login(request.getfixturevalue(persona))
    html = client.get(URL).content.decode()
    assert "Upgrade 7Q" in html and '<form method="post" action="/maintenance/' not in html
    assert client.post(URL + "schedule/", FORM).status_code == 403
    assert (
        client.post(f"{URL}{Maintenance.objects.get().pk}/step/", {"step": "start"}).status_code
        == 403
    )
    assert Maintenance.objects.get().status == "scheduled"


@pytest.mark.parametrize("persona", ["outsider", "regulator"])
def test_others_get_403(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_commanders_schedule_and_step_through(client, commander, fraud_model):
    client.force_login(commander)
    assert 'id="schedule-maintenance"' in client.get(URL).content.decode()
    response = client.post(URL + "schedule/", FORM)
    assert response.status_code == 302, response.content.decode()[-2000:]
    maintenance = Maintenance.objects.get()
    assert maintenance.announced_at is None and list(
        maintenance.components.values_list("slug", flat=True)
    ) == ["fraud-scoring"]
    step = f"{URL}{maintenance.pk}/step/"
    assert client.post(step, {"step": "announce"}).status_code == 302
    # htmx gets the card back, with the next step's button
    card = client.post(step, {"step": "start", "body": "Started."}, HTTP_HX_REQUEST="true")
    assert card.status_code == 200 and card["Vary"].count("HX-Request")
    html = card.content.decode()
    assert html.lstrip().startswith("<article") and 'value="complete"' in html
    maintenance.refresh_from_db()
    assert maintenance.status == "in_progress"


def test_bad_input_answers_400_beside_the_field_and_writes_nothing(client, commander, fraud_model):
    client.force_login(commander)
    response = client.post(URL + "schedule/", FORM | {"scheduled_until": "2030-03-01T11:00"})
    assert response.status_code == 400
    assert "scheduled_until must be after scheduled_for." in response.content.decode()
    assert not Maintenance.objects.exists()


def test_a_step_out_of_order_answers_409(client, commander, fraud_model):
    maintenance = announced_maintenance(commander, fraud_model)
    client.force_login(commander)
    response = client.post(f"{URL}{maintenance.pk}/step/", {"step": "complete"})
    assert response.status_code == 409
    assert "cannot become completed" in response.content.decode()


def test_posts_need_the_csrf_token(commander, fraud_model):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(commander)
    assert csrf_client.post(URL + "schedule/", FORM).status_code == 403
    assert not Maintenance.objects.exists()
