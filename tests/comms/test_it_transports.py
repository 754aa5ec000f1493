"""Each channel's transport against a real receiver: the local HTTP sink, Django's locmem mail."""

from __future__ import annotations

import ipaddress
import socket
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from comms.models import Delivery, Subscription
from comms.transports import (
    PermanentError,
    TransientError,
    email,
    inapp,
    message_for,
    new_http_client,
    slack,
    transport_for,
    webhook,
)
from comms.transports import apprise as apprise_transport
from tests.fixtures.delivery import Reply, valid_secret


@pytest.fixture
def http():
    with new_http_client() as client:
        yield client


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Generic webhook (Standard Webhooks) ------------------------------------------------


def test_webhook_is_signed_per_standard_webhooks_and_verifies(make_deliveries, webhook_sink, http):
    secret = valid_secret()
    webhook_sink.verify_with("/hook", secret)
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"), secret=secret)

    assert webhook.notify(row, http=http) == 200

    (got,) = webhook_sink.received()
    assert got.verified is True, got.verify_error
    assert got.webhook_id == str(row.id)
    assert abs(int(got.headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 30
    assert got.headers["content-type"] == "application/json"
    assert got.json["type"] == "incident.update.published"
    assert got.json["data"] == row.payload
    assert got.json["timestamp"] == row.created_at.astimezone(UTC).isoformat().replace(
        "+00:00", "Z"
    )


def test_a_receiver_with_another_secret_rejects_the_signature(make_deliveries, webhook_sink, http):
    webhook_sink.verify_with("/hook", valid_secret())
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))

    webhook.notify(row, http=http)

    (got,) = webhook_sink.received()
    assert got.verified is False
    assert "WebhookVerificationError" in got.verify_error


def test_every_attempt_sends_the_same_body_under_the_same_webhook_id(
    make_deliveries, webhook_sink, http
):
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))

    webhook.notify(row, http=http)
    webhook.notify(row, http=http)

    first, second = webhook_sink.received()
    assert first.body == second.body
    assert first.webhook_id == second.webhook_id == str(row.id)


def test_a_webhook_without_its_subscription_cannot_be_signed(make_deliveries, webhook_sink, http):
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))
    Subscription.objects.all().delete()  # SET_NULL on the delivery
    row.refresh_from_db()

    with pytest.raises(PermanentError, match="no signing secret"):
        webhook.notify(row, http=http)
    assert webhook_sink.received() == []


def test_an_unusable_secret_is_permanent(make_deliveries, webhook_sink, http):
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"), secret="whsec_a")

    with pytest.raises(PermanentError, match="unusable signing secret"):
        webhook.notify(row, http=http)


def test_secrets_the_model_generates_are_usable_by_standard_webhooks(db):
    """Subscription.secret's default must be standard base64 (token_urlsafe is not, ~1 in 4 times)."""
    for _ in range(200):
        Webhook(Subscription().secret).sign("msg_1", datetime.now(UTC), "{}")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientError),
        (503, TransientError),
        (408, TransientError),
        (429, TransientError),
        (400, PermanentError),
        (404, PermanentError),
        (410, PermanentError),
        (301, PermanentError),
    ],
)
def test_http_statuses_are_classified(make_deliveries, webhook_sink, http, status, error):
    webhook_sink.script("/hook", status)
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))

    with pytest.raises(error) as caught:
        webhook.notify(row, http=http)
    assert caught.value.status_code == status


def test_retry_after_is_read_from_a_429(make_deliveries, webhook_sink, http):
    webhook_sink.script("/hook", Reply(429, headers={"Retry-After": "120"}))
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))

    with pytest.raises(TransientError) as caught:
        webhook.notify(row, http=http)
    assert caught.value.retry_after == 120


def test_a_refused_connection_is_transient(make_deliveries, http, settings):
    # A closed port on loopback, opened as an operator opens an on-premises range.
    settings.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    (row,) = make_deliveries(channel="webhook", target=f"http://127.0.0.1:{closed_port()}/hook")

    with pytest.raises(TransientError, match="network error"):
        webhook.notify(row, http=http)


def test_a_target_that_is_not_an_http_url_is_permanent(make_deliveries, http):
    (row,) = make_deliveries(channel="webhook", target="ftp://example.test/hook")

    with pytest.raises(PermanentError, match="scheme ftp:// is not allowed"):
        webhook.notify(row, http=http)


# --- Slack ------------------------------------------------------------------------------------


def test_slack_gets_a_block_kit_message(make_deliveries, webhook_sink, http, incident):
    webhook_sink.script("/services/T0/B0/x", then=Reply(200, b"ok"))
    (row,) = make_deliveries(channel="slack", target=webhook_sink.url("/services/T0/B0/x"))

    assert slack.notify(row, http=http) == 200

    (got,) = webhook_sink.received()
    message = got.json
    title = f"[SEV2] {incident.reference} update 3: Card declines are back to normal"
    assert message["text"] == title
    assert [b["type"] for b in message["blocks"]] == [
        "header",
        "section",
        "section",
        "context",
        "actions",
    ]
    header, summary, detail, context, actions = message["blocks"]
    assert header["text"] == {"type": "plain_text", "text": title, "emoji": False}
    assert summary["text"]["text"] == "Card declines are back to normal"
    assert "1,200 customers" in detail["text"]["text"]
    assert context["elements"][0]["text"] == "SEV2 · declared"
    open_incident, rate = actions["elements"]
    assert open_incident["url"] == row.payload["incident"]["url"]
    assert rate["url"] == row.payload["feedback_url"]
    assert "/comms/feedback/" in rate["url"]


def test_slack_mrkdwn_control_characters_are_escaped(make_deliveries, webhook_sink, http):
    (row,) = make_deliveries(channel="slack", target=webhook_sink.url("/slack"))
    row.payload["rendition"]["summary"] = "Rollback <@here> & done"

    slack.notify(row, http=http)

    assert (
        webhook_sink.received()[0].json["blocks"][1]["text"]["text"]
        == "Rollback &lt;@here&gt; &amp; done"
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [(404, b"no_service"), (410, b"channel_is_archived"), (403, b"action_prohibited")],
)
def test_slack_refusals_are_permanent(make_deliveries, webhook_sink, http, status, body):
    webhook_sink.script("/slack", Reply(status, body))
    (row,) = make_deliveries(channel="slack", target=webhook_sink.url("/slack"))

    with pytest.raises(PermanentError, match=body.decode()):
        slack.notify(row, http=http)


def test_slack_rate_limit_is_transient(make_deliveries, webhook_sink, http):
    webhook_sink.script("/slack", Reply(429, b"rate_limited", {"Retry-After": "3"}))
    (row,) = make_deliveries(channel="slack", target=webhook_sink.url("/slack"))

    with pytest.raises(TransientError):
        slack.notify(row, http=http)


# --- E-mail -----------------------------------------------------------------------------------


def test_email_subject_and_body_put_the_summary_first(make_deliveries, mailoutbox, http, incident):
    (row,) = make_deliveries(channel="email", target="eve@example.test")

    email.notify(row, http=http)

    (mail,) = mailoutbox
    assert mail.to == ["eve@example.test"]
    assert mail.subject == f"[SEV2] {incident.reference} update 3: Card declines are back to normal"
    summary_at = mail.body.index("Card declines are back to normal")
    detail_at = mail.body.index("About 1,200 customers")
    link_at = mail.body.index(row.payload["feedback_url"])
    assert summary_at < detail_at < link_at
    assert mail.extra_headers["X-ICC-Delivery"] == str(row.id)


def test_reminder_email_subject(make_deliveries, mailoutbox, http, incident):
    (row,) = make_deliveries(channel="email", target="cara@example.test")
    row.payload = {
        "type": "incident.cadence.reminder",
        "incident": row.payload["incident"],
        "deadline": {
            "audience": "executive",
            "due_at": "2026-01-01T10:00:00+00:00",
            "cadence_minutes": 30,
        },
        "message": "The executive update is due now.",
    }

    email.notify(row, http=http)

    assert mailoutbox[0].subject == f"Reminder: update for executive due ({incident.reference})"
    assert mailoutbox[0].body.startswith("The executive update is due now.")


def test_email_to_a_bad_address_is_permanent(make_deliveries, mailoutbox, http):
    (row,) = make_deliveries(channel="email", target="not an address")

    with pytest.raises(PermanentError, match="not an e-mail address"):
        email.notify(row, http=http)
    assert mailoutbox == []


def test_an_unreachable_smtp_server_is_transient(make_deliveries, settings, http):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 2},
        }
    }
    (row,) = make_deliveries(channel="email", target="eve@example.test")

    with pytest.raises(TransientError, match="ConnectionRefusedError"):
        email.notify(row, http=http)


# --- Apprise -----------------------------------------------------------------------------------


def test_apprise_reaches_its_target(
    make_deliveries, webhook_sink, http, incident, apprise_json_allowed
):
    (row,) = make_deliveries(
        channel="apprise", target=f"json://127.0.0.1:{webhook_sink.port}/apprise"
    )

    apprise_transport.notify(row, http=http)

    (got,) = webhook_sink.received("/apprise")
    assert (
        got.json["title"]
        == f"[SEV2] {incident.reference} update 3: Card declines are back to normal"
    )
    assert got.json["message"].startswith("Card declines are back to normal")
    assert row.payload["feedback_url"] in got.json["message"]


def test_apprise_failure_is_transient(make_deliveries, webhook_sink, http, apprise_json_allowed):
    webhook_sink.script("/apprise", 500)
    (row,) = make_deliveries(
        channel="apprise", target=f"json://127.0.0.1:{webhook_sink.port}/apprise"
    )

    with pytest.raises(TransientError):
        apprise_transport.notify(row, http=http)
    assert len(webhook_sink.received("/apprise")) == 1


def test_an_url_apprise_does_not_know_is_permanent(make_deliveries, http, settings):
    # Allowed by the list, so what is proved is Apprise's own refusal.
    settings.APPRISE_ALLOWED_SCHEMES = [*settings.APPRISE_ALLOWED_SCHEMES, "nosuchservice"]
    (row,) = make_deliveries(channel="apprise", target="nosuchservice://token@host")

    with pytest.raises(PermanentError, match="not an Apprise URL"):
        apprise_transport.notify(row, http=http)


# --- In-app, registry, rendering -----------------------------------------------------------


def test_inapp_needs_no_network(make_deliveries, commander):
    (row,) = make_deliveries(channel="inapp", user=commander)

    assert (
        inapp.notify(
            row, http=httpx.Client(transport=httpx.MockTransport(lambda r: pytest.fail("sent")))
        )
        is None
    )


def test_inapp_without_a_user_is_permanent(make_deliveries, http):
    (row,) = make_deliveries(channel="inapp")

    with pytest.raises(PermanentError):
        inapp.notify(row, http=http)


def test_every_channel_has_a_transport():
    assert {c for c, _ in Delivery._meta.get_field("channel").choices} == {
        "inapp",
        "email",
        "slack",
        "webhook",
        "apprise",
    }
    for channel in ("inapp", "email", "slack", "webhook", "apprise"):
        assert callable(transport_for(channel).notify)
    with pytest.raises(PermanentError):
        transport_for("carrier-pigeon")


def test_messages_for_every_event_type(incident):
    inc = {
        "reference": "INC-7",
        "severity_label": "SEV1",
        "phase": "contained",
        "url": "http://x/7",
        "title": "FP",
    }
    deadline = {
        "audience": "regulator",
        "due_at": "2026-01-01T10:00:00+00:00",
        "cadence_minutes": 30,
    }

    escalation = message_for(
        {
            "type": "incident.cadence.escalation",
            "incident": inc,
            "deadline": deadline,
            "message": "Overdue by 10 minutes",
        }
    )
    test = message_for({"type": "test", "message": "Hello from the console"})

    assert escalation.title == "Escalation: update for regulator overdue (INC-7)"
    assert (escalation.summary, escalation.context) == ("Overdue by 10 minutes", "SEV1 · contained")
    assert (test.title, test.summary) == (
        "Test notification from the Incident Command Console",
        "Hello from the console",
    )
