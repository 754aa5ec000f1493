"""The launcher supervises web, worker and beat: all up together, all down together.

Children here are tiny Python programs that say when they are ready by
writing a file; tests poll for those files and for process exits with
deadlines, never sleep for a fixed time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from console.embedded_redis import ping
from console.launcher import BASE_DIR, Service, Supervisor, banner, console_services

DEADLINE = 30.0

# Installs a SIGTERM handler that records the signal, then says it is ready.
POLITE = """
import pathlib, signal, sys
marker, ready = sys.argv[1], sys.argv[2]
def on_term(signum, frame):
    pathlib.Path(marker).write_text("term")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
pathlib.Path(ready).write_text("ok")
while True:
    signal.pause()
"""

# Ignores SIGTERM and leaves a grandchild behind in its process group.
STUBBORN = """
import pathlib, signal, subprocess, sys
gc_file, ready = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
pathlib.Path(gc_file).write_text(str(grandchild.pid))
pathlib.Path(ready).write_text("ok")
while True:
    signal.pause()
"""

RUN_SUPERVISOR = """
import json, sys
from console.launcher import Service, Supervisor
services = [Service(name, argv) for name, argv in json.loads(sys.argv[1])]
sys.exit(Supervisor(services, stop_timeout=float(sys.argv[2]), poll_interval=0.05).run())
"""


def poll(condition: Callable[[], bool], timeout: float = DEADLINE, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def gone(pid: int) -> bool:
    """Return True when *pid* no longer runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def polite(tmp_path: Path, name: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        POLITE,
        str(tmp_path / f"{name}.marker"),
        str(tmp_path / f"{name}.ready"),
    ]


def start_supervisor(
    services: list[tuple[str, list[str]]], stop_timeout: float = 10.0
) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RUN_SUPERVISOR, json.dumps(services), str(stop_timeout)],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_one_service_exiting_stops_the_others(tmp_path):
    supervisor = Supervisor(
        [
            Service("web", polite(tmp_path, "web")),
            Service("worker", polite(tmp_path, "worker")),
            Service("beat", [sys.executable, "-c", "raise SystemExit(3)"]),
        ],
        stop_timeout=10,
        poll_interval=0.02,
    )
    supervisor.start()
    try:
        reason = supervisor.wait(timeout=DEADLINE)
    finally:
        supervisor.stop()
    assert reason == "beat exited with status 3"
    assert supervisor.failed is not None and supervisor.failed.name == "beat"
    assert all(service.process.returncode is not None for service in supervisor.services)


def test_wait_gives_up_at_its_deadline(tmp_path):
    supervisor = Supervisor(
        [Service("web", polite(tmp_path, "web"))], stop_timeout=10, poll_interval=0.02
    )
    supervisor.start()
    try:
        assert supervisor.wait(timeout=0.1) is None
        assert supervisor.services[0].running
    finally:
        supervisor.stop()
    assert not supervisor.services[0].running


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_is_forwarded_to_every_service(tmp_path, signum):
    proc = start_supervisor(
        [("web", polite(tmp_path, "web")), ("worker", polite(tmp_path, "worker"))]
    )
    try:
        poll(
            lambda: all((tmp_path / f"{n}.ready").exists() for n in ("web", "worker")),
            what="children ready",
        )
        proc.send_signal(signum)
        output, _ = proc.communicate(timeout=DEADLINE)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert (tmp_path / "web.marker").read_text() == "term"
    assert (tmp_path / "worker.marker").read_text() == "term"
    assert f"received {signal.Signals(signum).name}" in output


def test_a_dying_service_makes_the_launcher_exit_non_zero(tmp_path):
    ready = tmp_path / "web.ready"
    quitter = [
        sys.executable,
        "-c",
        f"import os, time\nwhile not os.path.exists({str(ready)!r}): time.sleep(0.01)\n"
        "raise SystemExit(4)",
    ]
    proc = start_supervisor([("web", polite(tmp_path, "web")), ("worker", quitter)])
    try:
        output, _ = proc.communicate(timeout=DEADLINE)
    finally:
        proc.kill()
    assert proc.returncode == 1, output
    assert "worker exited with status 4" in output
    assert (tmp_path / "web.marker").read_text() == "term"


def test_a_service_ignoring_sigterm_is_killed_with_its_children(tmp_path):
    stubborn = [
        sys.executable,
        "-c",
        STUBBORN,
        str(tmp_path / "gc.pid"),
        str(tmp_path / "stubborn.ready"),
    ]
    proc = start_supervisor(
        [("stubborn", stubborn), ("web", polite(tmp_path, "web"))], stop_timeout=0.5
    )
    try:
        poll(
            lambda: (tmp_path / "stubborn.ready").exists() and (tmp_path / "web.ready").exists(),
            what="children ready",
        )
        pids = [
            int(pid)
            for pid in re.findall(r"started \w+ \(pid (\d+)\)", _read_until_started(proc, 2))
        ]
        grandchild = int((tmp_path / "gc.pid").read_text())
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=DEADLINE)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "stubborn ignored SIGTERM, killing it" in output
    for pid in [*pids, grandchild]:
        poll(lambda pid=pid: gone(pid), what=f"pid {pid} to exit")


def _read_until_started(proc: subprocess.Popen, count: int) -> str:
    lines = []
    while len(lines) < count:
        line = proc.stdout.readline()
        assert line, "supervisor exited early"
        if "started" in line:
            lines.append(line)
    return "".join(lines)


def test_console_services_are_web_worker_and_beat(tmp_path):
    web, worker, beat = console_services(port=8765, web_workers=3, var_dir=tmp_path, python="py")
    assert web.argv[:4] == ["py", "-m", "gunicorn", "console.launcher:demo_application()"]
    # Loopback by default since #10 (was 0.0.0.0): the demo's passwords are known to everyone.
    assert "--no-control-socket" in web.argv
    assert web.argv[web.argv.index("--bind") + 1] == "127.0.0.1:8765"
    assert web.argv[web.argv.index("--workers") + 1] == "3"
    assert worker.argv == [
        "py",
        "-m",
        "celery",
        "-A",
        "console",
        "worker",
        "-l",
        "info",
        "--concurrency",
        "2",
    ]
    assert beat.argv[:6] == ["py", "-m", "celery", "-A", "console", "beat"]
    assert beat.argv[beat.argv.index("--schedule") + 1] == str(tmp_path / "celerybeat-schedule")


@pytest.mark.parametrize(
    ("host", "bind"),
    [("0.0.0.0", "0.0.0.0:8765"), ("192.0.2.7", "192.0.2.7:8765"), ("::", "[::]:8765")],
)
def test_another_address_is_used_when_given(tmp_path, host, bind):
    web = console_services(port=8765, web_workers=1, var_dir=tmp_path, host=host, python="py")[0]
    assert web.argv[web.argv.index("--bind") + 1] == bind


@pytest.mark.parametrize(
    ("env", "argv", "host"),
    [
        ({}, [], "127.0.0.1"),
        ({"HOST": "0.0.0.0"}, [], "0.0.0.0"),  # make run HOST=0.0.0.0
        ({"HOST": "0.0.0.0"}, ["--host", "10.1.2.3"], "10.1.2.3"),
    ],
)
def test_the_launcher_reads_host_from_the_environment_or_its_option(monkeypatch, env, argv, host):
    import console.launcher as launcher

    monkeypatch.delenv("HOST", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen = {}

    def stop_here(**kwargs):  # type: ignore[no-untyped-def]
        seen.update(kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(launcher, "console_services", stop_here)
    monkeypatch.setattr(launcher, "prepare", lambda **kwargs: False)
    monkeypatch.setattr(launcher.signal, "signal", lambda *args: None)  # keep pytest's own handlers
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/2")  # no embedded Redis for this
    assert launcher.main(["--port", "8765", *argv]) == 130
    assert seen["host"] == host


def test_banner_shows_url_address_and_demo_logins():
    text = banner(
        url="http://localhost:8765/", seeded=True, password="s3cret", bind="127.0.0.1:8765"
    )
    assert "http://localhost:8765/" in text and "http://localhost:8765/api/docs/" in text
    assert "commander, responder, executive, regulator, admin (password: s3cret)" in text
    assert "Listening on 127.0.0.1:8765 (this machine only; HOST=0.0.0.0 to open it)" in text
    assert "WARNING: the demo passwords are in use" in text
    unseeded = banner(
        url="http://localhost:8765/", seeded=False, password="x", bind="127.0.0.1:8765"
    )
    assert "Demo logins" not in unseeded and "demo passwords" not in unseeded
    opened = banner(url="http://localhost:8765/", seeded=True, password="x", bind="0.0.0.0:8765")
    assert "Listening on 0.0.0.0:8765 (reachable from other machines)" in opened


# --- the real thing -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def _listening_addresses(port: int) -> set[str]:
    """Return the local addresses with a TCP socket listening on *port* (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, _, state = line.split()[1:4]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def _processes_with(marker: str) -> list[int]:
    """Return live processes whose environment contains *marker*."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes() and not gone(int(entry.name)):
                found.append(int(entry.name))
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return found


@pytest.fixture
def var_dir():
    path = Path(tempfile.mkdtemp(prefix="icc-launch-"))  # short: holds the Redis socket
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_console_comes_up_and_goes_down_on_ctrl_c(var_dir):
    """Start web + worker + beat on SQLite and the embedded Redis, use them, stop them."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "HOST"}
    }
    env.update(
        DEMO="1",
        CONSOLE_VAR_DIR=str(var_dir),
        SEED_DEMO="0",
        DJANGO_SETTINGS_MODULE="console.settings",
    )
    log = (var_dir / "launcher.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.launcher", "--port", str(port)],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    marker = f"CONSOLE_VAR_DIR={var_dir}\0"
    try:
        poll(
            lambda: _status(f"http://127.0.0.1:{port}/healthz") == 200 or proc.poll() is not None,
            timeout=180,
            what="web to answer /healthz",
        )
        assert proc.poll() is None, (var_dir / "launcher.log").read_text()
        assert _status(f"http://127.0.0.1:{port}/login/") == 200
        assert _status(f"http://127.0.0.1:{port}/static/admin/css/base.css") == 200
        assert ping(var_dir / "redis" / "redis.sock")
        assert _listening_addresses(port) == {"127.0.0.1"}  # not 0.0.0.0: HOST was not given

        def worker_answers() -> bool:
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "console",
                    "inspect",
                    "ping",
                    "--timeout",
                    "2",
                ],
                cwd=BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            return result.returncode == 0 and "pong" in result.stdout

        poll(worker_answers, timeout=120, what="the Celery worker to answer ping")
        poll(
            lambda: "beat: Starting" in (var_dir / "launcher.log").read_text(),
            timeout=60,
            what="beat",
        )
        assert (
            len(_processes_with(marker)) >= 6
        )  # launcher, redis, gunicorn + 2 workers, worker, beat
        # Ready once the worker's heartbeat and a beat tick are in; /metrics from this machine.
        poll(
            lambda: _status(f"http://127.0.0.1:{port}/readyz") == 200,
            timeout=60,
            what="/readyz to answer 200",
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            exposition = response.read().decode()
        assert "icc_worker_heartbeat_age_seconds " in exposition
        assert 'icc_http_requests_total{method="GET",status="200",view="readyz"}' in exposition
        assert list((var_dir / "prometheus").glob("counter_*.db"))  # gunicorn's workers counted

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=90) == 0
    finally:
        proc.kill()
        log.close()
    output = (var_dir / "launcher.log").read_text()
    assert "received SIGINT" in output, output
    assert f"Incident Command Console: http://localhost:{port}/" in output
    assert f"Listening on 127.0.0.1:{port} (this machine only" in output
    poll(lambda: not _processes_with(marker), timeout=30, what="every child to exit")
    assert not ping(var_dir / "redis" / "redis.sock")
