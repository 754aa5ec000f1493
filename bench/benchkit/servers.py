"""Processes the benchmarks run: gunicorn, Celery workers and beats, wrk.

Every process gets the script's environment (scratch database, Redis, cache
key prefix; see benchkit.setup_django) plus what the caller adds, runs in its
own process group and logs to a file that is shown when it fails to start.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchkit import ROOT

BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.0/8,::1/128"


class StartError(RuntimeError):
    """A process did not come up."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """One subprocess in its own process group, logging to a file."""

    def __init__(
        self, argv: Sequence[str], *, env: dict[str, str] | None = None, name: str
    ) -> None:
        self.argv = list(argv)
        self.env = os.environ | {"PYTHONUNBUFFERED": "1"} | (env or {})
        self.log_path = Path(tempfile.mkdtemp(prefix="icc-bench-proc-")) / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  our own tools, fixed arguments
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.process is None:
            return
        if self.alive:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for(check, *, timeout: float, what: str, process: Process | None = None) -> None:
    """Poll `check()` until it is true; fail with the process log after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if process is not None and not process.alive:
            raise StartError(f"{what}: process exited\n{process.log()[-3000:]}")
        if time.monotonic() > deadline:
            log = process.log()[-3000:] if process else ""
            raise StartError(f"{what}: not ready within {timeout:.0f} s\n{log}")
        time.sleep(0.05)


def bench_env(**extra: str) -> dict[str, str]:
    """Environment for a server that also answers the baselines' URLs (benchkit.urls)."""
    path = os.pathsep.join([str(ROOT / "bench"), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {
        "DJANGO_SETTINGS_MODULE": "benchkit.settings",
        "PYTHONPATH": path.rstrip(os.pathsep),
    } | extra


def gunicorn(
    *,
    workers: int = 2,
    port: int | None = None,
    env: dict[str, str] | None = None,
    name: str = "gunicorn",
) -> tuple[Process, str]:
    """Start `gunicorn console.wsgi` with sync workers; return it and its base URL once it answers.

    Pass `env=bench_env()` for a server that also answers /bench/trivial/,
    /bench/trivial-user/ and /bench/trivial-alert/ (benchkit.urls).
    """
    port = port or free_port()
    argv = [
        str(BIN / "gunicorn"),
        "console.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--no-control-socket",
        "--access-logfile",
        "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        "--log-level",
        "warning",
    ]
    process = Process(argv, env=env, name=name).start()

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    wait_for(answers, timeout=30, what="gunicorn", process=process)
    return process, f"http://127.0.0.1:{port}"


def celery_worker(
    *,
    concurrency: int = 2,
    pool: str = "prefork",
    queues: str | None = None,
    env: dict[str, str] | None = None,
    name: str = "worker",
) -> Process:
    """Start a Celery worker of the console app and return it once it answers a ping."""
    nodename = f"{name}-{uuid.uuid4().hex[:6]}@localhost"
    argv = [
        str(BIN / "celery"),
        "-A",
        "console",
        "worker",
        "--pool",
        pool,
        "-c",
        str(concurrency),
        "-n",
        nodename,
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if queues:
        argv += ["-Q", queues]
    worker = Process(argv, env={"OUTBOUND_ALLOWED_NETWORKS": LOOPBACK} | (env or {}), name=name)
    worker.start()
    from console.celery import app

    wait_for(
        lambda: bool(app.control.ping(destination=[nodename], timeout=0.3)),
        timeout=60,
        what="celery worker",
        process=worker,
    )
    return worker


def celery_beat(*, env: dict[str, str] | None = None, name: str = "beat") -> Process:
    """Start `celery -A console beat` with a schedule file of its own."""
    schedule = Path(tempfile.mkdtemp(prefix="icc-bench-beat-")) / "schedule"
    argv = [
        str(BIN / "celery"),
        "-A",
        "console",
        "beat",
        "--loglevel",
        "WARNING",
        "--schedule",
        str(schedule),
    ]
    return Process(argv, env=env, name=name).start()


@dataclass
class WrkResult:
    requests_per_second: float
    requests: int
    non_2xx_3xx: int
    errors: int
    output: str


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int = 16,
    threads: int = 2,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    """Run wrk against one URL and parse its summary."""
    exe = shutil.which("wrk")
    if not exe:
        raise StartError("wrk is not installed (apt-get install wrk)")
    argv = [exe, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for key, value in (headers or {}).items():
        argv += ["-H", f"{key}: {value}"]
    argv.append(url)
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 60)  # noqa: S603  wrk with our arguments
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(
        requests_per_second=rps,
        requests=total,
        non_2xx_3xx=int(bad.group(1)) if bad else 0,
        errors=sum(int(g) for g in errors.groups()) if errors else 0,
        output=out,
    )
