"""The rendered units' commands, run as systemd would run them: together they make /readyz 200.

`systemd-analyze verify` (test_it_deploy.py) checks the units' syntax and that the
binaries exist, not that gunicorn and Celery accept the flags. Here each unit's
ExecStart is split as systemd splits it and started with its Environment= lines and
WorkingDirectory=, on the test database and a private Redis (the environment file's
part), with PROMETHEUS_MULTIPROC_DIR moved from /run/icc-web into tmp_path. Then the
web unit's ExecReload signal (HUP) is sent while a client keeps asking: gunicorn
boots new workers and not one request fails, which is what docs/deploy.md promises
for `systemctl reload icc-web`.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.delivery import PrivateRedis, subprocess_env
from tests.helpers import wait_until
from tests.ops.deploy_files import VENV, render, unit_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UnitProcess:
    """One rendered unit's ExecStart, started the way systemd would (minus the sandbox)."""

    def __init__(self, unit: Path, env: dict[str, str], log: Path) -> None:
        settings = unit_settings(unit)
        (start,) = settings["Service.ExecStart"]
        self.argv = shlex.split(start)
        self.cwd = settings["Service.WorkingDirectory"][0]
        extra = dict(line.split("=", 1) for line in settings.get("Service.Environment", []))
        if "PROMETHEUS_MULTIPROC_DIR" in extra:  # systemd's RuntimeDirectory, empty at start
            multiproc = log.parent / f"{unit.stem}-multiproc"
            multiproc.mkdir()
            extra["PROMETHEUS_MULTIPROC_DIR"] = str(multiproc)
        self.env, self.log_path = env | extra, log
        self.reload_signal = settings.get("Service.ExecReload", [""])[0]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> UnitProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  our own rendered command
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM to the main process (KillMode=mixed), then SIGKILL whatever is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)


@pytest.fixture
def deployed(
    transactional_db: None, celery_redis: PrivateRedis, tmp_path: Path
) -> Iterator[tuple[dict[str, UnitProcess], str]]:
    port = free_port()
    state = tmp_path / "state"
    state.mkdir()
    out = tmp_path / "rendered"
    result = render(
        out,
        *("--venv", str(VENV), "--app-dir", str(Path(__file__).resolve().parents[2])),
        *("--state-dir", str(state), "--bind", f"127.0.0.1:{port}"),
        *("--web-workers", "2", "--worker-concurrency", "2"),
    )
    assert result.returncode == 0, result.stderr
    env = subprocess_env(celery_redis)
    units = {
        name: UnitProcess(out / "systemd" / f"icc-{name}.service", env, tmp_path / f"{name}.log")
        for name in ("web", "worker", "beat")
    }
    try:
        for unit in units.values():
            unit.start()
        yield units, f"http://127.0.0.1:{port}"
    finally:
        for unit in units.values():
            unit.stop()


def booted_workers(web: UnitProcess) -> set[str]:
    return set(re.findall(r"Booting worker with pid: (\d+)", web.log()))


def test_the_three_units_make_the_console_ready_and_reload_drops_nothing(deployed):
    units, base = deployed

    def ready() -> bool:
        for name, unit in units.items():
            assert unit.process is not None
            if unit.process.poll() is not None:
                pytest.fail(f"icc-{name} exited:\n{unit.log()[-3000:]}")
        try:
            return httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, timeout=60, interval=0.2, what="/readyz 200 from the rendered units")
    schedule = Path(units["beat"].argv[-1])  # --schedule, under the unit's ReadWritePaths
    assert any(schedule.parent.glob(schedule.name + "*"))

    web = units["web"]
    assert web.reload_signal == "/bin/kill -s HUP $MAINPID"
    before = booted_workers(web)
    outcomes: list[int | str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    outcomes.append(client.get(f"{base}/healthz").status_code)
                except httpx.HTTPError as exc:
                    outcomes.append(repr(exc))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        wait_until(lambda: len(outcomes) >= 20, timeout=30, what="requests before the reload")
        assert web.process is not None
        web.process.send_signal(signal.SIGHUP)
        wait_until(
            lambda: len(booted_workers(web) - before) >= 2,
            timeout=60,
            what="gunicorn to boot two new workers after HUP",
        )
        asked = len(outcomes)
        wait_until(lambda: len(outcomes) >= asked + 20, timeout=30, what="requests after it")
    finally:
        stop.set()
        asker.join(30)
    assert web.process.poll() is None  # the master (and its socket) never went away
    failed = [outcome for outcome in outcomes if outcome != 200]
    assert failed == [] and len(outcomes) >= 40
