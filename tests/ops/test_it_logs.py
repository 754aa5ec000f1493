"""Structured logs in the web process: request ids, who and which incident, and no secrets.

Every test here applies the real settings.LOGGING (JSON, kit/logs.py) with its
one handler writing into a buffer instead of stderr, so what is read back is
exactly what a production process would print: every line must parse as JSON.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from api.models import ApiToken
from comms.tasks import deliver_task
from integrations.models import IntegrationKey
from kit import logs
from tests.builders import make_user
from tests.fixtures.delivery import Reply, valid_secret
from tests.helpers import token_client

pytestmark = [pytest.mark.django_db]

HEX32 = re.compile(r"[0-9a-f]{32}")
FIXTURES = Path(__file__).resolve().parents[1] / "integrations" / "fixtures"


class LogOutput:
    def __init__(self, buffer: io.StringIO) -> None:
        self.buffer = buffer

    def text(self) -> str:
        return self.buffer.getvalue()

    def events(self) -> list[dict[str, Any]]:
        """Every line parsed; a line that is not one JSON object fails the test."""
        parsed = []
        for line in self.text().splitlines():
            event = json.loads(line)
            assert isinstance(event, dict), line
            parsed.append(event)
        return parsed

    def requests(self) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["event"] == "request"]


@pytest.fixture
def log_output() -> Iterator[LogOutput]:
    """The production logging set-up (LOG_FORMAT=json), its handler writing into a buffer."""
    assert django_settings.LOG_FORMAT == "json"
    buffer = io.StringIO()
    config = copy.deepcopy(django_settings.LOGGING)
    config["handlers"]["console"]["stream"] = buffer
    logs.configure(config)
    yield LogOutput(buffer)
    logs.configure(django_settings.LOGGING)


def test_a_request_id_is_made_returned_and_logged(client, log_output):
    response = client.get("/healthz?token=abc123secret&page=2")

    request_id = response["X-Request-ID"]
    assert HEX32.fullmatch(request_id)
    (event,) = log_output.requests()
    assert event["request_id"] == request_id
    assert event["method"] == "GET"
    assert event["path"] == "/healthz"  # never the query string
    assert event["status"] == 200
    assert event["view"] == "healthz"
    assert isinstance(event["duration_ms"], float)
    assert "user_id" not in event  # nobody signed in
    assert "abc123secret" not in log_output.text()
    # The next request gets another id.
    assert client.get("/healthz")["X-Request-ID"] != request_id


@pytest.mark.parametrize(
    "value", ["edge-7f3a.b:c_1", "0b5c3c4e-2f1d-4a3b-9c1e-7a6f0e9d2c11", "x" * 128]
)
def test_a_sane_incoming_request_id_is_kept(client, log_output, value):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=value)

    assert response["X-Request-ID"] == value
    assert log_output.requests()[0]["request_id"] == value


@pytest.mark.parametrize(
    "value",
    ["x" * 129, "abc\ndef", "abc\r\nSet-Cookie: a=b", "caf\u00e9-1", "a b", "../etc", "", "-x"],
)
def test_an_insane_incoming_request_id_is_replaced(client, log_output, value):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=value)

    assert HEX32.fullmatch(response["X-Request-ID"])
    assert log_output.requests()[0]["request_id"] == response["X-Request-ID"]
    if value.strip():
        assert value not in log_output.text()


def test_the_events_of_an_incident_page_name_the_request_user_and_incident(
    client, commander, incident, log_output
):
    client.force_login(commander)
    page = client.get(f"/incidents/{incident.pk}/", HTTP_X_REQUEST_ID="trace-incident-1")
    missing = client.get(f"/incidents/{incident.pk}/regulatory/999999/")

    assert page.status_code == 200
    assert missing.status_code == 404
    first, second = log_output.requests()
    assert first["request_id"] == "trace-incident-1"
    assert first["view"] == "incidents:detail"
    assert (first["user_id"], first["username"]) == (commander.pk, "cara")
    assert first["incident"] == f"INC-{incident.pk}"
    # Django's own "Not Found" line, written after the middleware returned, has them too.
    (not_found,) = [e for e in log_output.events() if e["logger"] == "django.request"]
    assert not_found["level"] == "warning"
    assert not_found["request_id"] == second["request_id"] == missing["X-Request-ID"]
    assert not_found["incident"] == second["incident"] == f"INC-{incident.pk}"
    assert not_found["username"] == "cara"
    assert "sessionid" not in log_output.text()
    assert client.cookies["sessionid"].value not in log_output.text()


def test_an_api_request_names_the_token_user_and_the_incident(commander, incident, log_output):
    response = token_client(commander).get(f"/api/v1/incidents/{incident.pk}/")

    assert response.status_code == 200
    (event,) = log_output.requests()
    assert event["username"] == "cara"
    assert event["incident"] == f"INC-{incident.pk}"
    assert event["view"].endswith("incident-detail")


def test_no_secret_reaches_any_log_line(
    commander, incident, fraud_model, log_output, make_deliveries, webhook_sink
):
    password = "correct-horse-battery-9137"
    wrong_password = "wrong-horse-battery-2718"
    pat = make_user("pat")
    pat.set_password(password)
    pat.save()
    _, api_token = ApiToken.issue(user=commander, name="logs")
    _, am_key = IntegrationKey.issue(name="prod-alertmanager", kind="alertmanager")
    forged = "icc_" + "Q" * 43
    secret, rejected_secret = valid_secret(), valid_secret()
    secrets = [password, wrong_password, api_token, am_key, forged, secret, rejected_secret]

    # 1. Sign-ins: one right, one wrong.
    web = Client()
    assert web.post("/login/", {"username": "pat", "password": password}).status_code == 302
    Client().post("/login/", {"username": "pat", "password": wrong_password})
    # 2. The API with a token: a read, a 400, and a 401 with a forged token.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token}")
    assert api.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
    assert api.post("/api/v1/incidents/", {"severity": 9}, format="json").status_code == 400
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Token {forged}").get("/api/v1/incidents/").status_code == 401
    )
    # 3. Alertmanager with its integration key, and with a wrong one.
    alert = json.loads((FIXTURES / "alertmanager_firing.json").read_text())
    am = APIClient(HTTP_AUTHORIZATION=f"Bearer {am_key}")
    assert am.post("/api/v1/integrations/alertmanager/", alert, format="json").status_code == 202
    wrong = APIClient(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert wrong.post("/api/v1/integrations/alertmanager/", alert, format="json").status_code == 401
    # 4. Signed webhook deliveries in a task: one accepted, one refused with a 500.
    webhook_sink.verify_with("/ok", secret)
    webhook_sink.script("/down", Reply(500))
    ok = make_deliveries(1, target=webhook_sink.url("/ok"), secret=secret)
    down = make_deliveries(1, target=webhook_sink.url("/down"), secret=rejected_secret)
    deliver_task.apply(args=[[str(ok[0].pk), str(down[0].pk)]])
    (received,) = webhook_sink.received("/ok")
    assert received.verified is True
    secrets.append(received.headers["webhook-signature"].split(",", 1)[1])
    # 5. Errors in tasks: an id that is a secret, and an exception with a traceback.
    deliver_task.apply(args=[[api_token]])
    deliver_task.apply(args=[5])
    # 6. Our own code quoting secrets by mistake, through logging and structlog.
    logging.getLogger("console.mistake").warning("key %s secret %s", am_key, secret)
    structlog.get_logger("console.mistake").info("payload", password=password, token=api_token)
    try:
        raise ValueError(f"Authorization: Bearer {api_token}")
    except ValueError:
        logging.getLogger("console.mistake").exception("failed with %s", secret)

    events = log_output.events()  # every line is JSON
    text = log_output.text()
    leaked = [s for s in secrets if s in text]
    assert leaked == []
    # What was logged is there (so the absence above means something).
    assert len(log_output.requests()) == 7
    by_message = " | ".join(str(e["event"]) for e in events)
    assert "Bad Request: /api/v1/incidents/" in by_message
    assert "Unauthorized: /api/v1/integrations/alertmanager/" in by_message
    assert "not delivered: HTTP 500" in by_message
    assert "ignoring a delivery id that is not a UUID: '[redacted]'" in by_message
    task_error = next(e for e in events if "raised unexpected" in str(e["event"]))
    assert "TypeError" in task_error["exception"]
    assert task_error["task_name"] == "comms.tasks.deliver_task"
    mistake = [e for e in events if e["logger"] == "console.mistake"]
    assert mistake[0]["event"] == "key [redacted] secret [redacted]"
    assert (mistake[1]["password"], mistake[1]["token"]) == ("[redacted]", "[redacted]")
    assert "ValueError: Authorization: [redacted]" in mistake[2]["exception"]
    # httpx would name every URL it posts to (a receiver's URL can hold a key): not at INFO.
    assert not [e for e in events if e["logger"] == "httpx"]


def test_a_task_run_inside_a_request_keeps_the_request_id(rf, log_output):
    """An eager task binds its own id and name, then gives the request its context back."""
    structlog.contextvars.bind_contextvars(request_id="outer-1")
    try:
        result = deliver_task.apply(args=[["not-a-uuid"]])
        logging.getLogger("console.after").info("after the task")
    finally:
        structlog.contextvars.clear_contextvars()

    warning, *_, after = log_output.events()
    assert warning["task_id"] == result.id
    assert warning["task_name"] == "comms.tasks.deliver_task"
    assert warning["request_id"] == "outer-1"
    assert after["request_id"] == "outer-1"
    assert "task_id" not in after
