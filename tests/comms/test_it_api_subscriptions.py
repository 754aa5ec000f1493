"""Subscriptions through the API: one's own, endpoints, validation, secrets and test sends."""

from __future__ import annotations

import pytest

from comms import fanout
from comms.models import Delivery, Subscription
from tests.helpers import error_fields, snapshot, token_client

URL = "/api/v1/subscriptions/"
HOOK = {
    "name": "Ops webhook",
    "audience": "technical",
    "channel": "webhook",
    "target": "https://hooks.example.test/icc",
}


def test_anyone_reading_incidents_subscribes_themselves(responder, executive, fraud_model):
    for user in (responder, executive):
        response = token_client(user).post(
            URL,
            {
                "name": "Mine",
                "audience": "executive",
                "min_severity": 2,
                "models": ["fraud-scoring"],
                "teams": ["Payments risk", " Payments risk"],
                "email": False,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["kind"] == "user" and body["user"] == user.username and body["channel"] == ""
        assert body["models"] == ["fraud-scoring"] and body["teams"] == ["Payments risk"]
        assert body["min_severity"] == 2 and body["email"] is False and body["secret"] is None
        assert response["Location"] == f"{URL}{body['id']}/"
    assert Subscription.objects.filter(user=executive).count() == 1


def test_only_commanders_and_admins_subscribe_endpoints(responder, executive, api, admin_user):
    before = snapshot()
    for user in (responder, executive):
        refused = token_client(user).post(URL, HOOK, format="json")
        assert (
            refused.status_code == 403
            and "commander-eligible" in refused.json()["error"]["message"]
        )
    assert snapshot() == before
    assert api.post(URL, HOOK, format="json").status_code == 201
    assert (
        token_client(admin_user).post(URL, {**HOOK, "channel": "slack"}, format="json").status_code
        == 201
    )


def test_the_webhook_secret_is_shown_on_create_and_rotation_only(api):
    created = api.post(URL, HOOK, format="json").json()
    secret = created["secret"]
    assert (
        secret.startswith("whsec_") and Subscription.objects.get(pk=created["id"]).secret == secret
    )
    shown = api.get(f"{URL}{created['id']}/").json()
    assert "secret" not in shown and secret not in str(api.get(URL).json())

    rotated = api.post(f"{URL}{created['id']}/rotate-secret/")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != secret
    assert Subscription.objects.get(pk=created["id"]).secret == new


def test_only_webhooks_have_a_secret_to_rotate(api):
    slack = api.post(URL, {**HOOK, "channel": "slack"}, format="json").json()
    assert slack["secret"] is None
    before = snapshot()
    response = api.post(f"{URL}{slack['id']}/rotate-secret/")
    assert response.status_code == 409 and "channel" in error_fields(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**HOOK, "target": "ftp://hooks.example.test/x"}, "target"),
        ({**HOOK, "target": "not a url"}, "target"),
        ({**HOOK, "target": ""}, "target"),
        ({**HOOK, "channel": "slack", "target": "javascript:alert(1)"}, "target"),
        ({**HOOK, "channel": "email", "target": "ops at example"}, "target"),
        ({**HOOK, "channel": "apprise", "target": "https://example.test/not-apprise"}, "target"),
        ({**HOOK, "channel": "apprise", "target": "nosuchscheme://x"}, "target"),
        ({**HOOK, "channel": "inapp"}, "channel"),
        ({**HOOK, "channel": "pigeon"}, "channel"),
        ({"name": "Mine", "audience": "technical", "target": "https://x.test/"}, "target"),
        ({**HOOK, "audience": "board"}, "audience"),
        ({**HOOK, "name": ""}, "name"),
        ({**HOOK, "min_severity": 5}, "min_severity"),
        ({**HOOK, "models": ["no-such-model"]}, "models"),
        ({**HOOK, "teams": "Payments"}, "teams"),
        ({**HOOK, "include_drills": "perhaps"}, "include_drills"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field(api, fraud_model, body, field):
    before = snapshot()
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response), error_fields(response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("channel", "target"),
    [
        ("email", "ops@example.test"),
        ("slack", "https://hooks.slack.com/services/T000/B000/XXXX"),
        # Loopback is refused since #10 (tests/comms/test_it_outbound.py); an on-premises host is not.
        ("webhook", "http://hooks.intranet.example:9000/hook"),
        ("apprise", "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"),
        # mmosts:// (HTTPS): plain-HTTP mmost:// is off by default since #10.
        ("apprise", "mmosts://mattermost.example.test/abcdefghijklmnopqrstuvwxyz"),
    ],
)
def test_good_targets_are_accepted(api, channel, target):
    response = api.post(URL, {**HOOK, "channel": channel, "target": target}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["target"] == target


def test_editing_changes_only_what_is_given_and_never_the_channel(api, fraud_model):
    created = api.post(URL, HOOK, format="json").json()
    url = f"{URL}{created['id']}/"
    edited = api.patch(
        url, {"min_severity": 1, "models": ["fraud-scoring"], "is_active": False}, format="json"
    )
    assert edited.status_code == 200
    body = edited.json()
    assert (body["min_severity"], body["models"], body["is_active"], body["name"]) == (
        1,
        ["fraud-scoring"],
        False,
        "Ops webhook",
    )
    moved = api.patch(url, {"target": "https://hooks.example.test/new"}, format="json")
    assert moved.json()["target"] == "https://hooks.example.test/new"

    before = snapshot()
    for change, field in [
        ({"channel": "slack"}, "channel"),
        ({"target": "not a url"}, "target"),
        ({}, "non_field_errors"),
        ({"audience": "board"}, "audience"),
    ]:
        response = api.patch(url, change, format="json")
        assert response.status_code == 400 and field in error_fields(response), (
            change,
            response.content,
        )
    assert snapshot() == before


def test_a_user_subscription_has_no_target(responder):
    client = token_client(responder)
    created = client.post(URL, {"name": "Mine", "audience": "technical"}, format="json").json()
    before = snapshot()
    response = client.patch(f"{URL}{created['id']}/", {"target": "https://x.test/"}, format="json")
    assert response.status_code == 400 and "target" in error_fields(response)
    assert snapshot() == before


def test_people_see_and_manage_only_their_own(responder, executive, api, admin_user):
    mine = (
        token_client(responder)
        .post(URL, {"name": "Remy's", "audience": "technical"}, format="json")
        .json()
    )
    eves = (
        token_client(executive)
        .post(URL, {"name": "Eve's", "audience": "executive"}, format="json")
        .json()
    )
    hook = api.post(URL, HOOK, format="json").json()

    def names(user) -> list[str]:
        return [s["name"] for s in token_client(user).get(URL).json()["results"]]

    assert names(responder) == ["Remy's"]
    assert names(executive) == ["Eve's"]
    assert sorted(names(admin_user)) == ["Eve's", "Ops webhook", "Remy's"]
    # A commander sees their own and every endpoint subscription, not other people's.
    assert [s["name"] for s in api.get(URL).json()["results"]] == ["Ops webhook"]

    before = snapshot()
    remy = token_client(responder)
    for url in (f"{URL}{eves['id']}/", f"{URL}{hook['id']}/"):
        assert remy.get(url).status_code == 404
        assert remy.patch(url, {"name": "Mine now"}, format="json").status_code == 404
        assert remy.delete(url).status_code == 404
        assert remy.post(url + "test/").status_code == 404
    assert snapshot() == before

    assert token_client(executive).delete(f"{URL}{eves['id']}/").status_code == 204
    assert token_client(admin_user).delete(f"{URL}{mine['id']}/").status_code == 204
    assert list(Subscription.objects.values_list("name", flat=True)) == ["Ops webhook"]


def test_regulator_viewers_and_outsiders_have_no_subscriptions(regulator, outsider):
    before = snapshot()
    for user in (regulator, outsider):
        client = token_client(user)
        assert client.get(URL).status_code == 403
        assert (
            client.post(URL, {"name": "Mine", "audience": "regulator"}, format="json").status_code
            == 403
        )
    assert snapshot() == before


def test_a_test_send_writes_a_delivery_and_enqueues_it_after_commit(
    api, monkeypatch, django_capture_on_commit_callbacks
):
    enqueued: list[list[str]] = []
    monkeypatch.setattr(fanout, "enqueue", lambda ids: enqueued.append([str(i) for i in ids]))
    hook = api.post(URL, HOOK, format="json").json()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(f"{URL}{hook['id']}/test/")
    assert response.status_code == 202
    [row] = response.json()["deliveries"]
    delivery = Delivery.objects.get(pk=row["id"])
    assert (delivery.kind, delivery.channel, delivery.target, delivery.status) == (
        "test",
        "webhook",
        HOOK["target"],
        "pending",
    )
    assert (
        delivery.payload["type"] == "test" and delivery.payload["subscription"]["id"] == hook["id"]
    )
    assert delivery.subscription_id == hook["id"] and delivery.user is None
    assert len(callbacks) == 1 and enqueued == [[row["id"]]]


def test_a_test_send_to_oneself_lands_in_the_inbox_and_mailbox(executive):
    eve = token_client(executive)
    mine = eve.post(URL, {"name": "Mine", "audience": "executive"}, format="json").json()
    response = eve.post(f"{URL}{mine['id']}/test/")
    assert response.status_code == 202
    assert sorted(d["channel"] for d in response.json()["deliveries"]) == ["email", "inapp"]
    inbox = eve.get("/api/v1/inbox/").json()
    assert inbox["unread"] == 1 and inbox["results"][0]["kind"] == "test"
    assert Delivery.objects.get(channel="email").target == "eve@example.test"
