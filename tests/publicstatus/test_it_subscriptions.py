"""Customer e-mail subscriptions end to end through a real SMTP server on loopback.

Sign up, follow the confirmation link from the received mail, receive an
incident update and a maintenance notice, unsubscribe with RFC 8058's
one-click POST. The sweep task (what beat runs) sends the outbox here; the
after-commit hand-over goes to the broker, which these tests do not run.
"""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.test import Client

from publicstatus import tasks
from publicstatus.maintenance import start_maintenance
from publicstatus.models import Notice, Subscriber
from publicstatus.notices import notify_customer_update
from tests.builders import announced_maintenance, declare, publish_renditions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

ADDRESS = "dana.customer@example.test"
SUBSCRIBE = "/status/public/subscribe/"


def sweep() -> None:
    tasks.sweep_notices_task()


def link_in(message, kind: str) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"https?://[^\s]+/status/public/{kind}/[^\s]+/", body)
    assert match, body
    return "/" + match.group(0).split("://", 1)[1].split("/", 1)[1]


def subscribe(client, address=ADDRESS, **extra):
    return client.post(SUBSCRIBE, {"email": address, **extra})


def confirmed(client, smtp_server, address=ADDRESS, **extra) -> None:
    assert subscribe(client, address, **extra).status_code == 200
    sweep()
    [mail] = smtp_server.to(address)
    path = link_in(mail, "subscribe/confirm")
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200


def test_subscribe_confirm_receive_and_unsubscribe_in_one_click(
    client, smtp_server, commander, responder, fraud_model
):
    response = subscribe(client)
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert ADDRESS not in response.content.decode()
    assert not Subscriber.objects.get().is_active  # nothing until confirmed
    sweep()
    [confirmation] = smtp_server.to(ADDRESS)
    assert "Confirm" in confirmation["Subject"]
    path = link_in(confirmation, "subscribe/confirm")
    page = client.get(path)
    assert page.status_code == 200 and 'id="confirm-form"' in page.content.decode()
    assert not Subscriber.objects.get().is_active  # a GET (a link scanner) confirms nothing
    assert "You are subscribed." in client.post(path).content.decode()
    assert Subscriber.objects.get().is_active

    incident = declare(commander, fraud_model, title="INTERNAL-9X", severity=1)
    publish_renditions(
        incident,
        commander,
        responder,
        technical={"summary": "TECH-9X rollback of v41"},
        customer={"summary": "Some card payments fail.", "body": "Please retry in a few minutes."},
    )
    sweep()
    [_, update] = smtp_server.to(ADDRESS)
    text = update.get_body(preferencelist=("plain",)).get_content()
    assert "Some card payments fail." in update["Subject"]
    assert "Please retry in a few minutes." in text and f"#inc-{incident.pk}" in text
    assert "TECH-9X" not in update.as_string() and "INTERNAL-9X" not in update.as_string()
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(
        r"<https?://[^/]+(/status/public/unsubscribe/[^>]+/)>", update["List-Unsubscribe"]
    )
    assert unsubscribe, update["List-Unsubscribe"]

    maintenance = announced_maintenance(commander, fraud_model, name="Database upgrade")
    sweep()
    [*_, notice] = smtp_server.to(ADDRESS)
    assert notice["Subject"].endswith("Maintenance scheduled: Database upgrade")
    assert notice["List-Unsubscribe"].startswith("<http") and notice["List-Unsubscribe-Post"]

    # A mail client's one-click POST: no cookie, no CSRF token.
    one_click = Client(enforce_csrf_checks=True).post(
        unsubscribe.group(1),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    assert not Subscriber.objects.get().is_active
    start_maintenance(maintenance, by=commander)
    sweep()
    assert len(smtp_server.to(ADDRESS)) == 3  # nothing after unsubscribing


def test_unsubscribe_get_asks_first(client, smtp_server, commander, fraud_model):
    confirmed(client, smtp_server)
    announced_maintenance(commander, fraud_model)
    sweep()
    path = link_in(smtp_server.to(ADDRESS)[-1], "unsubscribe")
    assert 'id="unsubscribe-form"' in client.get(path).content.decode()
    assert Subscriber.objects.get().is_active
    assert client.post(path).status_code == 200
    assert not Subscriber.objects.get().is_active


def test_per_component_subscribers_hear_only_of_their_components(
    client, smtp_server, commander, responder, fraud_model, credit_model
):
    confirmed(client, smtp_server, "credit.only@example.test", components=["credit-limits"])
    confirmed(client, smtp_server, "everything@example.test")
    publish_renditions(
        declare(commander, fraud_model, severity=2),
        commander,
        responder,
        customer={"summary": "Slow."},
    )
    sweep()
    assert len(smtp_server.to("credit.only@example.test")) == 1  # the confirmation only
    assert len(smtp_server.to("everything@example.test")) == 2


def test_drills_suppressed_incidents_and_other_audiences_never_reach_customers(
    client, smtp_server, commander, responder, fraud_model
):
    confirmed(client, smtp_server)
    drill = declare(commander, fraud_model, severity=1, is_drill=True)
    publish_renditions(drill, commander, responder, customer={"summary": "DRILL-9X"})
    quiet = declare(commander, fraud_model, severity=1, suppress_external=True)
    publish_renditions(quiet, commander, responder, customer={"summary": "QUIET-9X"})
    internal = declare(commander, fraud_model, severity=1)
    publish_renditions(internal, commander, responder, technical={"summary": "TECH-9X"})
    sweep()
    assert len(smtp_server.to(ADDRESS)) == 1


def test_each_update_is_mailed_once_however_often_it_is_handed_over(
    client, smtp_server, commander, responder, fraud_model
):
    confirmed(client, smtp_server)
    incident = declare(commander, fraud_model, severity=2)
    publish_renditions(incident, commander, responder, customer={"summary": "Slow."})
    update = incident.updates.get()
    assert notify_customer_update(update.pk) == 1
    assert notify_customer_update(update.pk) == 0
    sweep()
    sweep()
    assert len(smtp_server.to(ADDRESS)) == 2


def test_a_mail_server_outage_is_retried_with_backoff(
    client, smtp_server, settings, commander, fraud_model, clock
):
    confirmed(client, smtp_server)
    port = smtp_server.port
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    announced_maintenance(commander, fraud_model)
    sweep()
    notice = Notice.objects.get(kind="maintenance")
    assert notice.status == "pending" and notice.attempts == 1
    assert "ConnectionRefusedError" in notice.last_error and ADDRESS not in notice.last_error
    settings.MAILERS["default"]["OPTIONS"]["port"] = port
    sweep()  # not due yet
    assert Notice.objects.get(kind="maintenance").attempts == 1
    clock.advance(minutes=2)
    sweep()
    assert Notice.objects.get(kind="maintenance").status == "sent"
    assert len(smtp_server.to(ADDRESS)) == 2


def test_a_confirmation_link_expires(client, smtp_server, settings, clock):
    settings.STATUS_SUBSCRIBE_CONFIRM_HOURS = 2
    subscribe(client)
    sweep()
    path = link_in(smtp_server.to(ADDRESS)[0], "subscribe/confirm")
    clock.advance(hours=3)
    real = signing.time.time
    signing.time.time = lambda: real() + 3 * 3600  # type: ignore[assignment]
    try:
        response = client.post(path)
    finally:
        signing.time.time = real  # type: ignore[assignment]
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not Subscriber.objects.get().is_active


def test_forged_and_replaced_links_are_refused(client, smtp_server):
    subscribe(client)
    sweep()
    first = link_in(smtp_server.to(ADDRESS)[0], "subscribe/confirm")
    assert client.post(first[:-3] + "xx/").status_code == 400
    subscribe(client)  # a second sign-up: a new link, the old one is void
    sweep()
    assert client.post(first).status_code == 400
    assert client.post(link_in(smtp_server.to(ADDRESS)[1], "subscribe/confirm")).status_code == 200


def test_sign_up_is_rate_limited_per_address_and_per_client(client, settings):
    settings.STATUS_SIGNUP_LIMIT_PER_EMAIL = 2
    settings.STATUS_SIGNUP_LIMIT_PER_CLIENT = 3
    assert subscribe(client).status_code == 200
    assert subscribe(client).status_code == 200
    refused = subscribe(client)
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    assert subscribe(client, "other@example.test").status_code == 200
    refused = subscribe(client, "third@example.test")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    other_client = Client(REMOTE_ADDR="203.0.113.9")
    assert other_client.post(SUBSCRIBE, {"email": "third@example.test"}).status_code == 200
    assert Notice.objects.count() == 4


def test_bad_input_is_400_naming_the_field(client):
    response = subscribe(client, "not-an-address")
    assert (
        response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    )
    response = subscribe(client, components=["nope"])
    assert response.status_code == 400
    assert not Subscriber.objects.exists() and not Notice.objects.exists()


def test_the_sign_up_form_carries_csrf_and_the_public_page_links_it(client):
    html = client.get(SUBSCRIBE).content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and 'id="subscribe-form"' in html
    assert Client(enforce_csrf_checks=True).post(SUBSCRIBE, {"email": ADDRESS}).status_code == 403
    assert f'href="{SUBSCRIBE}"' in client.get("/status/public/").content.decode()


def test_addresses_are_never_shown(client, smtp_server, admin_client):
    confirmed(client, smtp_server)
    subscriber = Subscriber.objects.get()
    assert ADDRESS not in str(subscriber) and ADDRESS not in repr(subscriber)
    for notice in Notice.objects.all():
        assert ADDRESS not in str(notice)
    assert admin_client.get("/admin/").status_code == 200
    assert ADDRESS not in admin_client.get("/admin/").content.decode()
    admin_index = admin_client.get("/admin/").content.decode()
    assert "/admin/publicstatus/component/" in admin_index  # public names are edited there
    assert "subscriber" not in admin_index.lower() and "notice" not in admin_index.lower()


def test_comms_hands_a_customer_update_over_by_task_name_after_commit(
    commander, responder, fraud_model, django_capture_on_commit_callbacks, monkeypatch
):
    """The one arrow from comms: a registered task name, sent after commit; drills send nothing."""
    from celery import current_app

    from console.celery import app

    app.loader.import_default_modules()
    assert tasks.notify_customer_update_task.name in app.tasks
    sent: list[tuple[str, list]] = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: sent.append((name, args)))
    incident = declare(commander, fraud_model, severity=2)
    drill = declare(commander, fraud_model, severity=2, is_drill=True)
    with django_capture_on_commit_callbacks(execute=True):
        publish_renditions(incident, commander, responder, customer={"summary": "Slow."})
        publish_renditions(drill, commander, responder, customer={"summary": "DRILL"})
    handed = [args for name, args in sent if name == tasks.notify_customer_update_task.name]
    assert handed == [[incident.updates.get().pk]]
