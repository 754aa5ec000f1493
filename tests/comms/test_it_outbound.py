"""Outbound calls cannot reach what they should not (#10 item 1).

Each attack runs against real listeners on loopback that record every
connection: the proof that nothing got through is that they saw nothing.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import subprocess
import threading
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from comms import outbound
from comms.delivery import deliver
from comms.models import Delivery, Subscription
from comms.transports import PermanentError, new_http_client, webhook
from comms.transports import apprise as apprise_transport
from console.env import env_networks
from tests.fixtures.delivery import Reply
from tests.helpers import error_fields, snapshot, token_client, wait_until

URL = "/api/v1/subscriptions/"


class Listener:
    """A TCP server on loopback that records every connection and the bytes it got."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_server((host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                data = b""
                try:
                    while chunk := conn.recv(65536):
                        data += chunk
                except OSError:
                    pass
                self.received.append(data)

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(timeout=2)


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def resolver() -> Iterator[dict[str, list[str]]]:
    """DNS answers we control: host -> the addresses returned, one list per lookup in turn."""
    answers: dict[str, list[str]] = {}

    def resolve(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]

    outbound.set_resolver(resolve)
    yield answers
    outbound.set_resolver(None)


def endpoint(api, channel: str, target: str):  # type: ignore[no-untyped-def]
    return api.post(
        URL,
        {"name": "Hook", "audience": "technical", "channel": channel, "target": target},
        format="json",
    )


def refused_at_creation(api, channel: str, target: str) -> str:  # type: ignore[no-untyped-def]
    before = snapshot()
    response = endpoint(api, channel, target)
    assert response.status_code == 400, response.content
    assert snapshot() == before
    (message,) = error_fields(response)["target"]
    return message


# --- Apprise: the irc:// attack on a Redis on loopback ------------------------------------

IRC_ATTACK = "irc://x@127.0.0.1:{port}/%23ops?name=a%0D%0ASET%20pwned%201%0D%0A"


def redis_cli(port: int, *args: str) -> str:
    out = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],  # noqa: S603, S607
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )
    return out.stdout.strip()


@pytest.fixture
def loopback_redis(tmp_path) -> Iterator[int]:
    """A throwaway redis-server on a loopback TCP port: what a worker reaches in production."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(  # noqa: S603, S607
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: redis_cli(port, "PING") == "PONG", timeout=10, what="redis-server up")
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_the_irc_target_cannot_write_to_a_redis_on_loopback(make_deliveries, loopback_redis):
    # Before #10 Apprise's irc:// plugin wrote "SET pwned 1" to the socket: the key appeared.
    (row,) = make_deliveries(channel="apprise", target=IRC_ATTACK.format(port=loopback_redis))

    assert deliver([row.id]) == {"failed": 1}

    assert redis_cli(loopback_redis, "EXISTS", "pwned") == "0"


def test_each_control_stops_the_irc_attack_alone(make_deliveries, loopback_redis, settings):
    # Defence in depth: an operator who opens irc:// and loopback is still protected by the
    # control-character check, and one that drops the CR/LF by the scheme list.
    settings.APPRISE_ALLOWED_SCHEMES = ["irc"]
    settings.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    (smuggling,) = make_deliveries(channel="apprise", target=IRC_ATTACK.format(port=loopback_redis))
    with new_http_client() as http, pytest.raises(PermanentError, match="control character"):
        apprise_transport.notify(smuggling, http=http)

    settings.APPRISE_ALLOWED_SCHEMES = ["discord"]
    (plain,) = make_deliveries(
        channel="apprise", target=f"irc://x@127.0.0.1:{loopback_redis}/%23ops"
    )
    with new_http_client() as http, pytest.raises(PermanentError, match="irc:// is not allowed"):
        apprise_transport.notify(plain, http=http)

    assert redis_cli(loopback_redis, "EXISTS", "pwned") == "0"


def test_the_irc_attack_is_refused_at_creation(api, listener):
    message = refused_at_creation(api, "apprise", IRC_ATTACK.format(port=listener.port))
    assert "control character" in message
    # Without the CR/LF the scheme itself is refused.
    assert "irc:// is not allowed" in refused_at_creation(
        api, "apprise", f"irc://x@127.0.0.1:{listener.port}/%23ops?name=a"
    )
    assert listener.received == []


def test_the_irc_attack_is_refused_at_send_time(make_deliveries, listener):
    # A row that predates the checks (or was written around them) still goes nowhere.
    (row,) = make_deliveries(channel="apprise", target=IRC_ATTACK.format(port=listener.port))
    with new_http_client() as http, pytest.raises(PermanentError, match="control character"):
        apprise_transport.notify(row, http=http)
    assert listener.received == []


@pytest.mark.parametrize("scheme", ["irc", "json", "xml", "form", "mailto", "gopher"])
def test_apprise_schemes_outside_the_allow_list_are_refused(api, scheme):
    assert f"{scheme}:// is not allowed" in refused_at_creation(
        api, "apprise", f"{scheme}://hooks.example.com/x"
    )


def test_the_allow_list_is_read_at_send_time(
    make_deliveries, webhook_sink, settings, apprise_json_allowed
):
    (row,) = make_deliveries(
        channel="apprise", target=f"json://127.0.0.1:{webhook_sink.port}/apprise"
    )
    settings.APPRISE_ALLOWED_SCHEMES = ["discord"]
    with new_http_client() as http, pytest.raises(PermanentError, match="json:// is not allowed"):
        apprise_transport.notify(row, http=http)
    assert webhook_sink.received() == []


# --- Control characters --------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://hooks.example.com/a\r\nX-Injected: 1",
        "https://hooks.example.com/a%0d%0aX-Injected:%201",
        "https://hooks.example.com/a%00b",
        "https://hooks.example.com/a\x00b",
        "https://hooks.example.com/a\tb",
        "https://hooks.example.com/a%7Fb",
        "https://hooks.example.com/a%1bb",
        "https://hooks.example.com/a\n",
    ],
)
@pytest.mark.parametrize("channel", ["webhook", "slack"])
def test_a_control_character_anywhere_is_refused(api, channel, target):
    # DRF's own "Null characters are not allowed." answers a raw NUL first.
    assert "character" in refused_at_creation(api, channel, target)


def test_a_control_character_is_refused_in_apprise_and_email_targets_too(api):
    assert "control character" in refused_at_creation(api, "apprise", "discord://id/tok%0Aen")
    assert "control character" in refused_at_creation(
        api, "email", "ops@example.com\r\nBcc: x@evil.test"
    )


# --- Addresses -------------------------------------------------------------------------------

BLOCKED = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:6379/",
    "http://localhost:8000/admin/",
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0177.0.0.1/",  # ... in octal
    "http://0x7f.0.0.1/",  # ... in hex
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",  # 169.254.169.254, mapped
    "http://0.0.0.0:8000/",
    "http://[::]/",
    "http://10.0.0.5/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://239.255.255.250:1900/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[ff02::1]/",
    "http://192.0.2.1/",  # documentation (TEST-NET-1): not public
]


@pytest.mark.parametrize("target", BLOCKED)
def test_internal_addresses_are_refused_at_creation(api, target):
    message = refused_at_creation(api, "webhook", target)
    # Odd spellings (2130706433, 0177.0.0.1) already fail URL validation.
    assert ("refused" in message and "address" in message) or "must be an http(s) URL" in message


@pytest.mark.parametrize(
    "host", ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]"]
)
def test_odd_spellings_of_loopback_are_refused_at_send_time(make_deliveries, listener, host):
    # Written around the creation checks: the worker's own check refuses them.
    (row,) = make_deliveries(channel="webhook", target=f"http://{host}:{listener.port}/hook")

    assert deliver([row.id]) == {"failed": 1}

    row.refresh_from_db()
    # httpx itself refuses the octal spelling as an invalid URL; either way nothing connects.
    assert "loopback" in row.last_error or row.last_error == "invalid URL: InvalidURL"
    assert listener.received == []


def test_internal_addresses_are_refused_for_slack_and_apprise(api):
    assert "169.254.169.254 is a" in refused_at_creation(
        api, "slack", "https://169.254.169.254/services/x"
    )
    assert "loopback" in refused_at_creation(api, "apprise", "jsons://127.0.0.1:8443/hook")


def test_changing_a_target_is_checked_too(api):
    created = endpoint(api, "webhook", "https://hooks.example.com/icc")
    assert created.status_code == 201, created.content
    before = snapshot()
    response = api.patch(
        f"{URL}{created.json()['id']}/", {"target": "http://10.1.2.3/"}, format="json"
    )
    assert response.status_code == 400 and "private" in error_fields(response)["target"][0]
    assert snapshot() == before


@pytest.mark.parametrize(
    "target_of",
    [lambda port: f"http://127.0.0.1:{port}/hook", lambda port: f"http://localhost:{port}/hook"],
)
def test_loopback_is_refused_at_send_time_and_nothing_connects(
    make_deliveries, listener, target_of
):
    (row,) = make_deliveries(channel="webhook", target=target_of(listener.port))

    assert deliver([row.id]) == {"failed": 1}

    row.refresh_from_db()
    assert row.status == Delivery.Status.FAILED and "loopback" in row.last_error
    assert listener.received == []


def test_a_dns_answer_that_changes_after_the_check_does_not_get_through(api, resolver, listener):
    # Public when the target is checked, loopback when the worker resolves it (DNS rebinding).
    resolver["rebind.example.com"] = ["93.184.215.14", "127.0.0.1"]
    created = endpoint(api, "webhook", f"http://rebind.example.com:{listener.port}/hook")
    assert created.status_code == 201, created.content
    subscription = Subscription.objects.get()
    row = Delivery.objects.create(
        subscription=subscription,
        channel="webhook",
        target=subscription.target,
        kind=Delivery.Kind.TEST,
        payload={"type": "test"},
        created_at=timezone.now(),
        next_attempt_at=timezone.now(),
    )

    assert deliver([row.id]) == {"failed": 1}

    row.refresh_from_db()
    assert (
        row.last_error == "refused: rebind.example.com resolves to 127.0.0.1 is a loopback address"
    )
    assert listener.received == []


def test_the_connection_goes_to_the_address_that_was_checked(
    make_deliveries, resolver, webhook_sink
):
    # Loopback is open here (webhook_sink): the name resolves through our checked resolver
    # alone, and the request keeps its own Host header.
    resolver["receiver.example.com"] = ["127.0.0.1"]
    (row,) = make_deliveries(
        channel="webhook", target=f"http://receiver.example.com:{webhook_sink.port}/hook"
    )

    with new_http_client() as http:
        webhook.notify(row, http=http)

    (received,) = webhook_sink.received("/hook")
    assert received.headers["host"] == f"receiver.example.com:{webhook_sink.port}"


def test_an_opened_network_lets_on_premises_receivers_in_and_nothing_else(
    make_deliveries, webhook_sink, listener, settings
):
    settings.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    (ok,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))
    (other,) = make_deliveries(channel="webhook", target=f"http://127.0.0.2:{listener.port}/hook")

    assert deliver([ok.id, other.id]) == {"delivered": 1, "failed": 1}
    other.refresh_from_db()
    assert "127.0.0.2 is a loopback address" in other.last_error


# --- Redirects --------------------------------------------------------------------------------


def test_a_webhook_redirect_is_not_followed(make_deliveries, webhook_sink):
    webhook_sink.script(
        "/hook", Reply(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))

    assert deliver([row.id]) == {"failed": 1}

    row.refresh_from_db()
    assert row.last_error == "HTTP 302 from the receiver"
    assert len(webhook_sink.received()) == 1


def test_each_apprise_redirect_hop_is_checked(
    make_deliveries, webhook_sink, listener, settings, apprise_json_allowed
):
    # Apprise (requests) follows redirects: the hop to another loopback address is resolved
    # through our checks and refused; only 127.0.0.1 is open.
    settings.OUTBOUND_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.1/32")]
    inner = Listener("127.0.0.2")
    try:
        webhook_sink.script(
            "/apprise", Reply(307, b"", {"Location": f"http://127.0.0.2:{inner.port}/x"})
        )
        (row,) = make_deliveries(
            channel="apprise", target=f"json://127.0.0.1:{webhook_sink.port}/apprise"
        )
        with (
            new_http_client() as http,
            pytest.raises(PermanentError, match="127.0.0.2 is a loopback"),
        ):
            apprise_transport.notify(row, http=http)
        assert len(webhook_sink.received("/apprise")) == 1
    finally:
        inner.close()
    assert inner.received == []


# --- What a failure records --------------------------------------------------------------------


def test_a_failure_records_our_words_never_the_receivers_body(
    make_deliveries, webhook_sink, commander
):
    secret_page = b"<h1>Internal admin</h1> db_password=hunter2"
    webhook_sink.script("/hook", Reply(500, secret_page))
    (row,) = make_deliveries(channel="webhook", target=webhook_sink.url("/hook"))

    deliver([row.id])

    row.refresh_from_db()
    assert row.last_error == "HTTP 500 from the receiver"
    assert "hunter2" not in row.attempt_log.get().error
    shown = token_client(commander).get(f"/api/v1/deliveries/{row.id}/")
    assert shown.status_code == 200, shown.content
    assert (
        shown.json()["last_error"] == "HTTP 500 from the receiver"
        and b"hunter2" not in shown.content
    )


def test_an_apprise_failure_records_our_words(make_deliveries, webhook_sink, apprise_json_allowed):
    webhook_sink.script("/apprise", Reply(500, b"db_password=hunter2"))
    (row,) = make_deliveries(
        channel="apprise", target=f"json://127.0.0.1:{webhook_sink.port}/apprise"
    )

    deliver([row.id])

    row.refresh_from_db()
    assert row.last_error and "hunter2" not in row.last_error


# --- Settings -------------------------------------------------------------------------------------


def test_a_bad_cidr_stops_the_process(monkeypatch):
    monkeypatch.setenv("OUTBOUND_ALLOWED_NETWORKS", "10.0.0.0/8, not-a-network")
    with pytest.raises(ImproperlyConfigured, match="OUTBOUND_ALLOWED_NETWORKS"):
        env_networks("OUTBOUND_ALLOWED_NETWORKS", [])


def test_only_the_demo_opens_loopback_by_default(monkeypatch, tmp_path):
    import runpy
    from pathlib import Path

    path = str(Path(__file__).resolve().parents[2] / "console" / "settings.py")
    monkeypatch.delenv("OUTBOUND_ALLOWED_NETWORKS", raising=False)
    monkeypatch.setenv("CONSOLE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("DEMO", raising=False)
    assert runpy.run_path(path)["OUTBOUND_ALLOWED_NETWORKS"] == []
    monkeypatch.setenv("DEMO", "1")
    assert [str(n) for n in runpy.run_path(path)["OUTBOUND_ALLOWED_NETWORKS"]] == [
        "127.0.0.0/8",
        "::1/128",
    ]


# --- The admin creates targets too ----------------------------------------------------------


def test_the_admin_refuses_an_internal_target(client, admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    form = {
        "name": "Metadata",
        "channel": "webhook",
        "audience": "technical",
        "min_severity": 4,
        "target": "http://169.254.169.254/latest/meta-data/",
        "secret": "whsec_" + "A" * 43 + "=",
        "is_active": "on",
        "created_by": admin_user.pk,
    }

    response = client.post("/admin/comms/subscription/add/", form)

    assert response.status_code == 200  # the form again, with the error
    html = response.content.decode()
    assert "169.254.169.254 is a link-local address" in html, re.findall(r"errorlist.{0,300}", html)
    assert not Subscription.objects.exists()
    response = client.post(
        "/admin/comms/subscription/add/", {**form, "target": "https://hooks.example.com/x"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Subscription.objects.get().target == "https://hooks.example.com/x"
