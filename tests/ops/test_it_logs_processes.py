"""Structured logs of real processes: a Celery worker and gunicorn, as deployed.

Each process runs with LOG_FORMAT=json and its stderr in a file of its own; every
line of it must be one JSON object (Celery's and gunicorn's own lines too), and no
key, token or signing secret may appear in it. LOG_FORMAT=console gives lines for
people, and a bad LOG_FORMAT stops a process at start, naming the variable.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from api.models import ApiToken
from comms.tasks import deliver_task
from tests.fixtures.delivery import (
    BASE_DIR,
    CELERY,
    CeleryWorker,
    Reply,
    subprocess_env,
    valid_secret,
)
from tests.helpers import wait_until

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
FORGED = "icc_" + "Z" * 43


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Parse every complete line of *path*; one that is not a JSON object fails the test."""
    text = path.read_text(errors="replace") if path.exists() else ""
    events = []
    for line in text[: text.rfind("\n") + 1].splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line in {path.name}: {line!r}")
        assert isinstance(event, dict), line
        events.append(event)
    return events


@pytest.fixture
def json_worker(transactional_db, celery_redis, tmp_path) -> Iterator[CeleryWorker]:
    worker = CeleryWorker(
        celery_redis, tmp_path / "worker.out", tmp_path / "worker.err", LOG_FORMAT="json"
    )
    worker.start()
    yield worker
    worker.stop()


def test_a_worker_logs_json_with_the_task_the_incident_and_the_request_that_sent_it(
    json_worker, incident, make_deliveries, webhook_sink
):
    secret = valid_secret()
    webhook_sink.verify_with("/down", secret)
    webhook_sink.script("/down", Reply(500))
    (row,) = make_deliveries(1, target=webhook_sink.url("/down"), secret=secret)

    # As a web request that enqueues the tasks would have it bound (console/request_logs.py).
    with structlog.contextvars.bound_contextvars(request_id="web-req-42"):
        sent = deliver_task.delay([str(row.pk)])
        deliver_task.delay([FORGED])  # an id that is a secret: quoted in a warning
        failing = deliver_task.delay(5)  # an exception inside a task, with its traceback
    errors = json_worker.stderr_path

    def logged(fragment: str) -> list[dict[str, Any]]:
        return [e for e in json_lines(errors) if fragment in str(e.get("event"))]

    wait_until(lambda: logged("raised unexpected"), timeout=30, what="the failing task's error")
    (warning,) = wait_until(lambda: logged("not delivered"), timeout=30, what="the 500")

    assert warning["level"] == "warning"
    assert warning["task_id"] == sent.id
    assert warning["task_name"] == "comms.tasks.deliver_task"
    assert warning["incident"] == f"INC-{incident.pk}"
    assert warning["request_id"] == "web-req-42"
    (error,) = logged("raised unexpected")
    assert error["task_id"] == failing.id
    assert "TypeError" in error["exception"]
    (quoted,) = wait_until(lambda: logged("not a UUID"), timeout=30, what="the forged id")
    assert quoted["event"].endswith("'[redacted]'")
    # Celery's own lines are JSON too (its banner goes to stdout, not into the logs).
    assert [e for e in json_lines(errors) if e["event"].endswith(" ready.")]
    (received,) = webhook_sink.received("/down")
    assert received.verified is True
    text = errors.read_text()
    for leaked in (secret, FORGED, received.headers["webhook-signature"].split(",", 1)[1]):
        assert leaked not in text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_logs_json_and_the_request_event_replaces_its_access_log(
    transactional_db, celery_redis, commander, incident, tmp_path
):
    _, token = ApiToken.issue(user=commander, name="logs")
    port = free_port()
    out, err = (tmp_path / "web.out").open("wb"), (tmp_path / "web.err").open("wb")
    web = subprocess.Popen(  # noqa: S603  our own server
        [
            GUNICORN,
            "--config",
            "python:console.gunicorn_conf",
            "console.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",
            "--access-logfile",
            "-",  # given anyway: the request event replaces it
        ],
        cwd=BASE_DIR,
        env=subprocess_env(celery_redis, ALLOWED_HOSTS="127.0.0.1", LOG_FORMAT="json"),
        stdout=out,
        stderr=err,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        assert web.poll() is None, (tmp_path / "web.err").read_text()[-3000:]
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answers, timeout=60, what="gunicorn to answer /healthz")
        traced = httpx.get(
            f"{base}/healthz?token=query-secret-1", headers={"X-Request-ID": "lb-trace-7"}
        )
        api = httpx.get(
            f"{base}/api/v1/incidents/{incident.pk}/", headers={"Authorization": f"Token {token}"}
        )
        forged = httpx.get(
            f"{base}/api/v1/incidents/", headers={"Authorization": f"Token {FORGED}"}
        )
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(30)
        out.close()
        err.close()

    assert (traced.status_code, api.status_code, forged.status_code) == (200, 200, 401)
    assert traced.headers["X-Request-ID"] == "lb-trace-7"
    events = json_lines(tmp_path / "web.err")
    master = [e["event"] for e in events if e["logger"] == "gunicorn.error"]
    assert any(m.startswith("Starting gunicorn") for m in master)
    assert any(m.startswith("Booting worker") for m in master)
    requests = {e["request_id"]: e for e in events if e["event"] == "request"}
    assert requests["lb-trace-7"]["path"] == "/healthz"
    assert requests[api.headers["X-Request-ID"]]["username"] == "cara"
    assert requests[api.headers["X-Request-ID"]]["incident"] == f"INC-{incident.pk}"
    assert requests[forged.headers["X-Request-ID"]]["status"] == 401
    assert (tmp_path / "web.out").read_text() == ""  # no access log lines
    text = (tmp_path / "web.err").read_text()
    for leaked in (token, FORGED, "query-secret-1"):
        assert leaked not in text


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "DEBUG", "DEMO")}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=base | {"DJANGO_SETTINGS_MODULE": "console.settings", "SECRET_KEY": "test-only"} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


LOG_A_LINE = (
    "import django, logging; django.setup();"
    " logging.getLogger('console.check').warning('hello %s', 'operator')"
)


def test_json_is_the_default_outside_debug_and_the_demo():
    result = run_python(LOG_A_LINE)

    event = json.loads(result.stderr)
    assert (event["event"], event["level"], event["logger"]) == (
        "hello operator",
        "warning",
        "console.check",
    )


@pytest.mark.parametrize("env", [{"LOG_FORMAT": "console"}, {"DEMO": "1"}])
def test_console_format_is_for_people(env):
    result = run_python(LOG_A_LINE, **env)

    (line,) = result.stderr.splitlines()
    assert "hello operator" in line
    assert "warning" in line
    assert "console.check" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOG_FORMAT", "yaml", "LOG_FORMAT must be one of json, console, got 'yaml'"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of debug, info, warning, error, critical"),
    ],
)
def test_a_bad_log_setting_stops_every_process_at_start(name, value, message):
    manage = run_python(LOG_A_LINE, **{name: value})
    assert manage.returncode != 0
    assert message in manage.stderr

    for argv in (
        [GUNICORN, "--config", "python:console.gunicorn_conf", "console.wsgi:application"],
        [CELERY, "-A", "console", "worker", "--pool", "solo"],
    ):
        process = subprocess.run(  # noqa: S603
            argv,
            cwd=BASE_DIR,
            env=os.environ | {"SECRET_KEY": "test-only", name: value},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert process.returncode != 0, argv
        assert message in process.stderr, argv
