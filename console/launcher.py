"""Bring the whole console up in the foreground: web, Celery worker and beat.

``make run`` calls ``python -m console.launcher``, which

1. starts the embedded Redis on var/redis/redis.sock when REDIS_URL is unset,
2. migrates and loads the demo data (seed_demo is idempotent, so it runs on
   every start; SEED_DEMO=0 skips it),
3. starts gunicorn, a Celery worker and Celery beat, waits for /healthz and
   prints the URL and the demo logins,
4. supervises the three: Ctrl-C or SIGTERM stops all of them, and if one of
   them dies the others are stopped too and the launcher exits non-zero.

This is a development and demo tool. In production, run each process under
your process manager instead (docs/deploy.md).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from console.embedded_redis import EmbeddedRedis, EmbeddedRedisError

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_USERS = ("commander", "responder", "executive", "regulator", "admin")
# The demo signs anyone in with a known password: only this machine may reach it unless asked (HOST).
DEFAULT_HOST = "127.0.0.1"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Service:
    """One long-running child process."""

    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP during preparation into the same clean exit as Ctrl-C."""
    raise KeyboardInterrupt


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the child if the launcher itself is killed with SIGKILL."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: children may outlive a killed launcher


class Supervisor:
    """Start services, watch them, and stop all of them together.

    Each child runs in its own session, so a Ctrl-C in the terminal reaches the
    launcher only and every child gets exactly one SIGTERM from us (Celery
    treats a second signal as "stop now, drop running tasks").
    """

    def __init__(
        self,
        services: list[Service],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        stop_timeout: float = 20.0,
        poll_interval: float = 0.1,
    ) -> None:
        self.services = services
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.poll_interval = poll_interval
        self.stop_signal: int | None = None
        self.failed: Service | None = None

    def start(self) -> None:
        for service in self.services:
            service.process = subprocess.Popen(  # noqa: S603  argv list from our own code, no shell
                service.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            print(f"launcher: started {service.name} (pid {service.process.pid})", flush=True)

    def request_stop(self, signum: int, frame: FrameType | None = None) -> None:
        """Signal handler: remember the signal; the poll loop does the rest."""
        self.stop_signal = signum

    def install_signal_handlers(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self.request_stop)

    def check(self) -> str | None:
        """Return why everything should stop now, or None while all is well."""
        if self.stop_signal is not None:
            return f"received {signal.Signals(self.stop_signal).name}"
        for service in self.services:
            if not service.running:
                self.failed = service
                code = service.process.returncode if service.process else None
                return f"{service.name} exited with status {code}"
        return None

    def wait(self, timeout: float | None = None) -> str | None:
        """Block until a stop signal arrives or a service exits; return the reason.

        Return None if *timeout* seconds pass first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while (reason := self.check()) is None:
            if deadline is not None and time.monotonic() > deadline:
                return None
            time.sleep(self.poll_interval)
        return reason

    def stop(self) -> None:
        """Stop every service: SIGTERM, wait up to stop_timeout, then SIGKILL.

        1. Send SIGTERM to each main process still running (gunicorn and
           Celery stop their own workers on it).
        2. Poll until all have exited or the deadline passes.
        3. SIGKILL the process group of anything left, and of every service,
           so no orphaned grandchild outlives the launcher.
        """
        for service in self.services:
            if service.running:
                service.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + self.stop_timeout
        while any(s.running for s in self.services) and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
        for service in self.services:
            if service.process is None:
                continue
            if service.running:
                print(f"launcher: {service.name} ignored SIGTERM, killing it", flush=True)
            try:
                os.killpg(service.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass  # the group is already empty
            service.process.wait()

    def run(self) -> int:
        """Start, wait, stop; return 0 after a requested stop, 1 if a service died."""
        self.install_signal_handlers()
        try:
            self.start()
            reason = self.wait()
        finally:
            self.stop()
        print(f"launcher: {reason}; stopped {', '.join(s.name for s in self.services)}", flush=True)
        return 1 if self.failed else 0


def bind_address(host: str, port: int) -> str:
    """Return gunicorn's --bind value; IPv6 addresses need brackets."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def console_services(
    *,
    port: int,
    web_workers: int,
    var_dir: Path,
    host: str = DEFAULT_HOST,
    python: str = sys.executable,
) -> list[Service]:
    """Return the three processes of a running console."""
    return [
        Service(
            "web",
            [
                python,
                "-m",
                "gunicorn",
                "console.launcher:demo_application()",
                "--bind",
                bind_address(host, port),
                "--workers",
                str(web_workers),
                "--no-control-socket",  # gunicorn 27 would write ~/.gunicorn/gunicorn.ctl
                "--graceful-timeout",
                "10",
                # gunicorn's own lines in LOG_FORMAT; the `request` event replaces its access log.
                "--config",
                "python:console.gunicorn_conf",
            ],
        ),
        Service(
            "worker",
            [python, "-m", "celery", "-A", "console", "worker", "-l", "info", "--concurrency", "2"],
        ),
        Service(
            "beat",
            [
                python,
                "-m",
                "celery",
                "-A",
                "console",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(var_dir / "celerybeat-schedule"),
            ],
        ),
    ]


def demo_application() -> Any:
    """Return the WSGI app of the demo: Django plus its static files.

    gunicorn serves no static files and the demo has no proxy in front, so the
    files are served from the app directories as runserver would (no
    collectstatic needed). Production puts STATIC_ROOT behind the TLS proxy
    instead (docs/deploy.md).
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application

    return StaticFilesHandler(get_wsgi_application())


def has_command(name: str) -> bool:
    """Return True when some app of the project defines management command *name*."""
    return any(BASE_DIR.glob(f"*/management/commands/{name}.py"))


def prepare(*, python: str, env: Mapping[str, str], seed: bool) -> bool:
    """Migrate and load the demo data; return whether demo data was loaded."""
    manage = [python, str(BASE_DIR / "manage.py")]
    steps = [["migrate", "--noinput"]]
    seeded = seed and has_command("seed_demo")
    if seed and not seeded:
        print("launcher: warning: no seed_demo command yet, starting without demo data", flush=True)
    if seeded:
        steps.append(["seed_demo"])
    for step in steps:
        print(f"launcher: manage.py {' '.join(step)}", flush=True)
        subprocess.run(manage + step, env=env, cwd=BASE_DIR, check=True)  # noqa: S603  argv list from our own code, no shell
    return seeded


def demo_signing_key(*, python: str, env: dict[str, str], var_dir: Path) -> Path | None:
    """In the demo, sign decision-log checkpoints with a key made once under var/.

    A real deployment keeps the key outside the database and var/
    (docs/decision-log.md); an explicit LOG_SIGNING_KEY_FILE always wins.
    """
    if env.get("LOG_SIGNING_KEY_FILE") or env.get("DEMO", "").strip().lower() not in {
        "1",
        "true",
        "yes",
        "on",
    }:
        return None
    path = var_dir / "log-signing-key.pem"
    if not path.exists():
        command = [python, str(BASE_DIR / "manage.py"), "generate_log_signing_key", str(path)]
        subprocess.run(command, env=env, cwd=BASE_DIR, check=True, stdout=subprocess.DEVNULL)  # noqa: S603  argv list from our own code, no shell
    env["LOG_SIGNING_KEY_FILE"] = str(path)
    return path


def prometheus_multiproc_dir(*, env: dict[str, str], var_dir: Path) -> Path:
    """Give gunicorn's workers an empty directory to count their requests in, for /metrics.

    prometheus-client's multiprocess mode (console/prometheus.py) adds up the files
    every worker writes there; files of an earlier run would add old counts, so the
    directory is emptied on each start. An explicit PROMETHEUS_MULTIPROC_DIR is kept.
    """
    folder = Path(env.get("PROMETHEUS_MULTIPROC_DIR") or var_dir / "prometheus")
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def wait_until_healthy(url: str, supervisor: Supervisor, timeout: float) -> bool:
    """Poll *url* until it answers 200, a service fails, or *timeout* passes."""
    deadline = time.monotonic() + timeout
    while supervisor.check() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  URL built here from our own host and port (http only)
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def banner(*, url: str, seeded: bool, password: str, bind: str) -> str:
    lines = [
        "",
        f"  Incident Command Console: {url}",
        f"  API docs:                 {url}api/docs/",
        f"  Health and metrics:       {url}readyz, {url}metrics (Prometheus, from this machine)",
        f"  Listening on {bind}"
        + (
            " (this machine only; HOST=0.0.0.0 to open it)"
            if is_loopback(bind)
            else " (reachable from other machines)"
        ),
    ]
    if seeded:
        lines.append(f"  Demo logins: {', '.join(DEMO_USERS)} (password: {password})")
        lines.append(
            "  WARNING: the demo passwords are in use: whoever reaches this address can sign in."
        )
    lines += ["  Ctrl-C stops web, worker and beat.", ""]
    return "\n".join(lines)


def is_loopback(bind: str) -> bool:
    host = bind.rsplit(":", 1)[0].strip("[]")
    return host == "localhost" or host.startswith("127.") or host == "::1"


def health_host(host: str) -> str:
    """Return where the launcher itself can reach the web process."""
    if host in ("0.0.0.0", ""):  # noqa: S104  compares, does not bind: maps 0.0.0.0 to loopback
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m console.launcher", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument(
        "--host",
        default=os.environ.get("HOST") or DEFAULT_HOST,
        help="address to listen on (also HOST; default 127.0.0.1: this machine only)",
    )
    parser.add_argument(
        "--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY") or 2)
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="do not run seed_demo (also SEED_DEMO=0)"
    )
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Readable lines in the terminal; production's default is JSON (docs/operations.md "Logs").
    env.setdefault("LOG_FORMAT", "console")
    env.setdefault("SITE_URL", f"http://localhost:{args.port}")
    var_dir = Path(env.get("CONSOLE_VAR_DIR") or BASE_DIR / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
    seed = not args.no_seed and env.get("SEED_DEMO", "1") not in {"0", "false", "no", "off"}

    for signum in STOP_SIGNALS[1:]:
        signal.signal(signum, _interrupt)
    redis: EmbeddedRedis | None = None
    try:
        if not env.get("REDIS_URL"):
            redis = EmbeddedRedis(var_dir / "redis" / "redis.sock").start()
            origin = "reused" if redis.reused else "started"
            print(f"launcher: embedded Redis {origin} at {redis.url}", flush=True)
        demo_signing_key(python=sys.executable, env=env, var_dir=var_dir)
        prometheus_multiproc_dir(env=env, var_dir=var_dir)
        seeded = prepare(python=sys.executable, env=env, seed=seed)
        supervisor = Supervisor(
            console_services(
                port=args.port, web_workers=args.web_workers, var_dir=var_dir, host=args.host
            ),
            env=env,
            cwd=BASE_DIR,
        )
        supervisor.install_signal_handlers()
        try:
            supervisor.start()
            health = f"http://{health_host(args.host)}:{args.port}/healthz"
            if wait_until_healthy(health, supervisor, timeout=60):
                url = f"http://localhost:{args.port}/"
                print(
                    banner(
                        url=url,
                        seeded=seeded,
                        password=env.get("DEMO_PASSWORD", "demo"),
                        bind=bind_address(args.host, args.port),
                    ),
                    flush=True,
                )
            elif supervisor.check() is None:
                print("launcher: warning: /healthz did not answer 200 within 60 s", flush=True)
            reason = supervisor.wait()
        finally:
            supervisor.stop()
        print(f"launcher: {reason}; web, worker and beat stopped", flush=True)
        return 1 if supervisor.failed else 0
    except EmbeddedRedisError as exc:
        print(f"launcher: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(
            f"launcher: {' '.join(map(str, exc.cmd[1:]))} failed with status {exc.returncode}",
            file=sys.stderr,
        )
        return exc.returncode or 1
    except KeyboardInterrupt:
        return 130
    finally:
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
