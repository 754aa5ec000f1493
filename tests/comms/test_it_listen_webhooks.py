"""`listen_webhooks` verifies what our webhook transport sends."""

import threading
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from comms.management.commands.listen_webhooks import make_server
from tests.fixtures.delivery import valid_secret


@pytest.fixture
def listener():
    secret, lines = valid_secret(), []
    server = make_server(host="127.0.0.1", port=0, secret=secret, emit=lines.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield secret, lines, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def signed(secret: str, body: str, msg_id: str = "msg_1") -> dict[str, str]:
    at = datetime.now(UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
        "content-type": "application/json",
    }


def test_it_accepts_and_prints_a_signed_webhook(listener):
    secret, lines, url = listener
    body = '{"type": "incident.update.published", "data": {"rendition": {"summary": "Declines are normal"}}}'

    response = httpx.post(url, content=body, headers=signed(secret, body))

    assert response.status_code == 204
    assert lines[0] == "msg_1 incident.update.published Declines are normal"


def test_it_rejects_a_forged_signature(listener):
    _, lines, url = listener
    body = '{"type": "test"}'
    response = httpx.post(url, content=body, headers=signed(valid_secret(), body))
    assert response.status_code == 400
    assert lines[0].startswith("REJECTED msg_1")
