"""A customer update and a maintenance notice reach a subscriber through a real Celery worker on a
real Redis and a real SMTP server on loopback: comms hands the update over by task name, the
worker writes the notices and sends them, once."""

from __future__ import annotations

import pytest

from tests.builders import announced_maintenance, declare, publish_renditions
from tests.fixtures.delivery import CeleryWorker
from tests.helpers import wait_until
from tests.publicstatus.test_it_subscriptions import ADDRESS, link_in, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_worker(celery_redis, smtp_server, tmp_path):
    """A worker whose mailer is the loopback SMTP server (the test process points Celery at celery_redis)."""
    worker = CeleryWorker(celery_redis, tmp_path / "worker.log")
    worker.env.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
    )
    worker.start()
    yield worker
    worker.stop()


def test_a_subscriber_receives_an_update_and_a_maintenance_notice_through_the_worker(
    client, smtp_server, mail_worker, commander, responder, fraud_model
):
    assert subscribe(client).status_code == 200
    confirmation = wait_until(
        lambda: smtp_server.to(ADDRESS) and smtp_server.to(ADDRESS)[0],
        timeout=30,
        what="the confirmation mailed by the worker",
    )
    path = link_in(confirmation, "subscribe/confirm")
    assert client.post(path).status_code == 200
    incident = declare(commander, fraud_model, title="INTERNAL-7Q", severity=1)
    publish_renditions(
        incident,
        commander,
        responder,
        customer={"summary": "Some card payments fail.", "body": "Please retry in a few minutes."},
    )
    update = wait_until(
        lambda: len(smtp_server.to(ADDRESS)) >= 2 and smtp_server.to(ADDRESS)[1],
        timeout=30,
        what="the customer update mailed by the worker",
    )
    assert "Some card payments fail." in update["Subject"]
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    announced_maintenance(commander, fraud_model, name="Database upgrade")
    notice = wait_until(
        lambda: len(smtp_server.to(ADDRESS)) >= 3 and smtp_server.to(ADDRESS)[2],
        timeout=30,
        what="the maintenance notice mailed by the worker",
    )
    assert notice["Subject"].endswith("Maintenance scheduled: Database upgrade")
    assert len(smtp_server.to(ADDRESS)) == 3  # each once
