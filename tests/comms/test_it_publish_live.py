"""Publishing end to end with a real worker: inbox, e-mail and a signed webhook; Redis down loses nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from comms import workflows
from comms.models import Delivery, Subscription
from comms.services import create_draft, publish_update
from comms.sweeper import SWEEP_GRACE, sweep
from tests.fixtures.delivery import valid_secret
from tests.helpers import wait_until


@pytest.fixture
def console_email(monkeypatch):
    """E-mail from the worker subprocess goes to its log (no SMTP server here)."""
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")


@pytest.fixture
def live(console_email, transactional_db, commander, executive, fraud_model, webhook_sink):
    incident = workflows.declare_incident(
        by=commander, title="FP surge", severity=2, models=[(fraud_model, "")]
    )
    secret = valid_secret()
    Subscription.objects.create(
        name="Hook",
        channel="webhook",
        target=webhook_sink.url("/hook"),
        audience="executive",
        secret=secret,
    )
    Subscription.objects.create(name="Eve", user=executive, audience="executive")
    webhook_sink.verify_with("/hook", secret)
    update = create_draft(
        incident=incident,
        by=commander,
        what_changed="Rolled back",
        renditions={"executive": {"summary": "Card declines are back to normal"}},
    )
    return update


def delivered() -> dict[str, str]:
    return dict(Delivery.objects.values_list("channel", "status"))


def test_a_published_update_reaches_inbox_email_and_a_signed_webhook(
    live, commander, celery_worker_process, webhook_sink
):
    publish_update(update=live, by=commander)

    wait_until(
        lambda: delivered() == {"webhook": "delivered", "inapp": "delivered", "email": "delivered"},
        timeout=30,
        what="all three channels delivered",
    )
    (request,) = webhook_sink.received("/hook")
    assert request.verified is True
    assert request.webhook_id == str(Delivery.objects.get(channel="webhook").id)
    assert request.json["data"]["rendition"]["summary"] == "Card declines are back to normal"


def test_publishing_while_redis_is_down_succeeds_and_delivers_once_it_is_back(
    live, commander, redis_server_factory, celery_worker_factory, webhook_sink
):
    redis = redis_server_factory()
    celery_worker_factory(redis)
    redis.stop()

    update = publish_update(update=live, by=commander)

    assert update.is_published
    assert set(delivered().values()) == {"pending"}
    redis.start()
    assert sweep(now=timezone.now() + SWEEP_GRACE) == 3
    wait_until(
        lambda: set(delivered().values()) == {"delivered"},
        timeout=40,
        what="deliveries once Redis is back",
    )
    assert [r.webhook_id for r in webhook_sink.received("/hook")] == [
        str(Delivery.objects.get(channel="webhook").id)
    ]
