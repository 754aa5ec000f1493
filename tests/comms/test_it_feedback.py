"""The one-click feedback page (signed link, no login) and the ratings summary in the API."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core import signing
from django.test import Client

from comms import fanout
from comms.models import Delivery, Feedback
from comms.services import create_draft, publish_update
from comms.subscriptions import create_subscription
from tests.helpers import token_client

SUMMARY = "Genuine card payments are no longer being declined."


@pytest.fixture
def deliveries(incident, commander, executive, responder):
    """A published update whose executive and technical renditions reach one subscriber each."""
    create_subscription(by=executive, name="Exec", audience="executive", email=False)
    create_subscription(by=responder, name="Tech", audience="technical", email=False)
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed="Rolled back",
        renditions={
            "executive": {"summary": SUMMARY},
            "technical": {"summary": "v41 live; FP 1.8 %"},
        },
    )
    publish_update(update=update, by=commander)
    return {d.audience: d for d in Delivery.objects.filter(update=update)}


def page_url(delivery: Delivery) -> str:
    return f"/comms/feedback/{fanout.feedback_token(delivery.pk)}/"


def csrf_client(url: str) -> tuple[Client, str]:
    """A browser-like client that has loaded the page: it holds the CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    response = client.get(url)
    assert response.status_code == 200
    return client, response.cookies["csrftoken"].value


def test_the_link_in_the_payload_opens_the_page(deliveries):
    delivery = deliveries["executive"]
    url = delivery.payload["feedback_url"]
    assert url.endswith(page_url(delivery))
    response = Client().get(page_url(delivery))
    assert response.status_code == 200
    html = response.content.decode()
    assert SUMMARY in html
    assert "no-store" in response["Cache-Control"]


def test_the_public_page_shows_public_words_only(deliveries, incident):
    """#10 item 9: the page needs no login, so it shows the rendition's summary and
    never the incident reference or internal title (it used to show both)."""
    for delivery in deliveries.values():
        url = page_url(delivery)
        client, token = csrf_client(url)
        html = client.get(url).content.decode()
        client.post(url, {"clarity": "4", "usefulness": "4", "csrfmiddlewaretoken": token})
        thanks = client.get(f"{url}?thanks=1").content.decode()
        for page in (html, thanks):
            assert incident.reference not in page and incident.title not in page
        assert delivery.update.renditions.get(audience=delivery.audience).summary in html
        assert "Thank you" in thanks


def test_the_form_is_accessible_and_needs_no_script(deliveries):
    html = Client().get(page_url(deliveries["executive"])).content.decode()
    for name in ("clarity", "usefulness"):
        radios = re.findall(
            rf'<input type="radio" name="{name}" value="(\d)"[^>]*id="(id_{name}_\d)"', html
        )
        assert [value for value, _ in radios] == ["1", "2", "3", "4", "5"]
        for _, radio_id in radios:
            assert f'<label for="{radio_id}"' in html
    assert html.count("<legend>") == 2 and "How clear was this update?" in html
    assert '<label for="id_comment">' in html and 'method="post"' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline event handlers


def test_a_rating_is_stored_per_delivery_and_thanked(deliveries):
    delivery = deliveries["executive"]
    url = page_url(delivery)
    client, token = csrf_client(url)
    response = client.post(
        url,
        {
            "clarity": "4",
            "usefulness": "5",
            "comment": "Clear, thanks",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{url}?thanks=1"
    feedback = Feedback.objects.get()
    assert (feedback.delivery_id, feedback.update_id, feedback.audience) == (
        delivery.pk,
        delivery.update_id,
        "executive",
    )
    assert (feedback.clarity, feedback.usefulness, feedback.comment) == (4, 5, "Clear, thanks")
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()
    assert 'name="clarity"' not in thanks.content.decode()


def test_rating_again_replaces_the_first_rating(deliveries):
    url = page_url(deliveries["executive"])
    client, token = csrf_client(url)
    client.post(url, {"clarity": "2", "usefulness": "2", "csrfmiddlewaretoken": token})
    again = client.get(url).content.decode()
    assert "replaces that rating" in again and re.search(
        r'value="2"[^>]*id="id_clarity_1"[^>]*checked', again
    )
    client.post(url, {"clarity": "5", "usefulness": "3", "csrfmiddlewaretoken": token})
    assert list(Feedback.objects.values_list("clarity", "usefulness", "comment")) == [(5, 3, "")]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"clarity": "6", "usefulness": "3"}, "clarity"),
        ({"clarity": "0", "usefulness": "3"}, "clarity"),
        ({"clarity": "three", "usefulness": "3"}, "clarity"),
        ({"clarity": "3"}, "usefulness"),
        ({"clarity": "3", "usefulness": "3", "comment": "x" * 2001}, "comment"),
    ],
)
def test_invalid_ratings_are_refused_naming_the_field_and_store_nothing(deliveries, data, field):
    url = page_url(deliveries["executive"])
    client, token = csrf_client(url)
    response = client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and f'href="#id_{field}"' in html
    assert Feedback.objects.count() == 0


def test_a_post_without_the_csrf_token_is_refused(deliveries):
    url = page_url(deliveries["executive"])
    client, _ = csrf_client(url)
    assert client.post(url, {"clarity": "4", "usefulness": "4"}).status_code == 403
    assert Feedback.objects.count() == 0


BAD_TOKENS = {
    "garbage": lambda: "not-a-token",
    "forged": lambda: "eyJhIjoxfQ:1abcde:forged",
    "no-such-delivery": lambda: signing.dumps(str(uuid.UUID(int=7)), salt=fanout.FEEDBACK_SALT),
    "not-a-delivery-id": lambda: signing.dumps("42", salt=fanout.FEEDBACK_SALT),
    "other-purpose": lambda: signing.dumps("x", salt="another.purpose"),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_tokens_are_404(deliveries, kind):
    token = BAD_TOKENS[kind]()
    client = Client()
    assert client.get(f"/comms/feedback/{token}/").status_code == 404
    assert (
        client.post(f"/comms/feedback/{token}/", {"clarity": "4", "usefulness": "4"}).status_code
        == 404
    )
    assert Feedback.objects.count() == 0


def test_a_tampered_token_is_404(deliveries):
    token = fanout.feedback_token(deliveries["executive"].pk)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert Client().get(f"/comms/feedback/{tampered}/").status_code == 404


def test_only_update_deliveries_can_be_rated(deliveries, executive):
    sub = create_subscription(by=executive, name="Mine", audience="executive")
    from comms.subscriptions import send_test

    [test_row, *_] = send_test(subscription=sub, by=executive)
    assert Client().get(page_url(test_row)).status_code == 404


def test_the_api_summarises_ratings_per_audience_and_update(
    deliveries, incident, executive, regulator
):
    for delivery, clarity, usefulness in [
        (deliveries["executive"], 4, 5),
        (deliveries["technical"], 2, 3),
    ]:
        Feedback.objects.create(
            delivery=delivery,
            update=delivery.update,
            audience=delivery.audience,
            clarity=clarity,
            usefulness=usefulness,
        )
    response = token_client(executive).get(f"/api/v1/incidents/{incident.pk}/feedback/")
    assert response.status_code == 200
    body = response.json()
    assert body["overall"] == {"avg_clarity": 3.0, "avg_usefulness": 4.0, "count": 2}
    assert body["by_audience"] == [
        {"audience": "executive", "avg_clarity": 4.0, "avg_usefulness": 5.0, "count": 1},
        {"audience": "technical", "avg_clarity": 2.0, "avg_usefulness": 3.0, "count": 1},
    ]
    assert [(r["update"], r["audience"], r["count"]) for r in body["by_update"]] == [
        (1, "executive", 1),
        (1, "technical", 1),
    ]
    assert (
        token_client(regulator).get(f"/api/v1/incidents/{incident.pk}/feedback/").status_code == 403
    )


def test_an_incident_without_ratings_summarises_to_nothing(incident, commander):
    body = token_client(commander).get(f"/api/v1/incidents/{incident.pk}/feedback/").json()
    assert body["overall"] == {"avg_clarity": None, "avg_usefulness": None, "count": 0}
    assert body["by_audience"] == [] and body["by_update"] == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"clarity": 0, "usefulness": 3}, "clarity"),
        ({"clarity": True, "usefulness": 3}, "clarity"),
        ({"clarity": 3, "usefulness": 6}, "usefulness"),
        ({"clarity": 3, "usefulness": "4"}, "usefulness"),
        ({"clarity": 3, "usefulness": 4, "comment": "x" * 2001}, "comment"),
    ],
)
def test_the_service_checks_ratings_too(deliveries, values, field):
    from comms.feedback import record_feedback
    from kit.errors import DomainError

    with pytest.raises(DomainError) as refused:
        record_feedback(delivery=deliveries["executive"], **values)
    assert refused.value.field == field
    assert type(refused.value) is DomainError  # invalid input, not a refusal of rights or state
    assert Feedback.objects.count() == 0
