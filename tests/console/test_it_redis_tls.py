"""REDIS_URL=rediss://… works for both the cache and the Celery broker, and both check the certificate (#10, item 2).

A real redis-server with TLS and a password runs on loopback, with a
certificate from a CA made for the test. The URL settings build reaches it
from redis-py (the cache) and kombu (the broker); a server whose CA the
client does not trust is refused by both (kombu alone would have accepted it
on a bare rediss:// URL).
"""

from __future__ import annotations

import runpy
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.cache.backends.redis import RedisCache
from kombu import Connection

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "tls-test-password"
REDIS_SERVER = shutil.which("redis-server")
OPENSSL = shutil.which("openssl")

pytestmark = pytest.mark.skipif(
    not (REDIS_SERVER and OPENSSL), reason="needs redis-server and openssl on PATH"
)


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca_and_server_cert(directory: Path, name: str) -> Path:
    """Create `<name>-ca.pem` and a server certificate for 127.0.0.1 it signed; return the CA path."""
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={name} test CA",
        "-keyout",
        f"{name}-ca.key",
        "-out",
        f"{name}-ca.pem",
        cwd=directory,
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        f"{name}-server.key",
        "-out",
        f"{name}-server.csr",
        cwd=directory,
    )
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509",
        "-req",
        "-in",
        f"{name}-server.csr",
        "-CA",
        f"{name}-ca.pem",
        "-CAkey",
        f"{name}-ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        f"{name}-server.pem",
        cwd=directory,
    )
    return directory / f"{name}-ca.pem"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory) -> Iterator[tuple[int, Path, Path]]:
    """Yield (port, trusted CA, untrusted CA) of a TLS-only redis-server with a password."""
    directory = tmp_path_factory.mktemp("redis-tls")
    ca = make_ca_and_server_cert(directory, "good")
    other_ca = make_ca_and_server_cert(directory, "other")
    port = free_port()
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(directory / "good-server.pem"),
            "--tls-key-file",
            str(directory / "good-server.key"),
            "--tls-ca-cert-file",
            str(ca),
            "--tls-auth-clients",
            "no",
            "--requirepass",
            PASSWORD,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            pytest.skip(f"redis-server without TLS support: {process.stderr.read().decode()[:200]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield port, ca, other_ca
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def settings_for(monkeypatch, tmp_path):
    def load(redis_url: str) -> dict:
        monkeypatch.setenv("SECRET_KEY", "k")
        monkeypatch.setenv("CONSOLE_VAR_DIR", str(tmp_path))
        monkeypatch.setenv("REDIS_URL", redis_url)
        return runpy.run_path(str(BASE_DIR / "console" / "settings.py"))

    return load


def cache_from(settings: dict) -> RedisCache:
    conf = settings["CACHES"]["default"]
    return RedisCache(conf["LOCATION"], {"KEY_PREFIX": "tls-test", "OPTIONS": conf["OPTIONS"]})


def test_cache_and_broker_work_over_tls_with_a_password(tls_redis, settings_for):
    port, ca, _ = tls_redis
    settings = settings_for(f"rediss://:{PASSWORD}@127.0.0.1:{port}/0?ssl_ca_certs={ca}")

    cache = cache_from(settings)
    cache.set("page", "<p>over TLS</p>", 30)
    assert cache.get("page") == "<p>over TLS</p>"

    with Connection(settings["CELERY_BROKER_URL"]) as broker:
        queue = broker.SimpleQueue("icc-tls-test")
        queue.put({"task": "ping"})
        message = queue.get(timeout=10)
        assert message.payload == {"task": "ping"}
        message.ack()
        queue.close()


@pytest.mark.parametrize(
    "query", ["?ssl_ca_certs={other_ca}", ""], ids=["other-ca", "bare-rediss-system-cas"]
)
def test_a_certificate_from_an_untrusted_ca_is_refused_by_both(tls_redis, settings_for, query):
    """The bare URL is the attack: kombu used to connect to it with ssl_cert_reqs=CERT_NONE."""
    port, _, other_ca = tls_redis
    settings = settings_for(
        f"rediss://:{PASSWORD}@127.0.0.1:{port}/0" + query.format(other_ca=other_ca)
    )

    with pytest.raises(Exception, match="certificate verify failed"):
        cache_from(settings).get("page")
    with Connection(settings["CELERY_BROKER_URL"]) as broker:
        with pytest.raises(Exception, match="certificate verify failed"):
            broker.ensure_connection(max_retries=1)


def test_a_wrong_password_is_refused(tls_redis, settings_for):
    port, ca, _ = tls_redis
    settings = settings_for(f"rediss://:wrong@127.0.0.1:{port}/0?ssl_ca_certs={ca}")
    with pytest.raises(redis.exceptions.AuthenticationError):
        cache_from(settings).get("page")
