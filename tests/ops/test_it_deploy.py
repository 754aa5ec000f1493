"""The deployment recipe (deploy/): rendered for a domain, then checked by the tools' own validators.

deploy/render.py runs as an operator runs it (a subprocess, no Django). The units go
through `systemd-analyze verify` (which also wants every ExecStart binary to exist, so
they are rendered against this test's own virtualenv) and the nginx site through
`nginx -t` inside a wrapper nginx.conf whose pid, logs and temp paths are in tmp_path,
with a self-signed certificate made by openssl. Each validator is shown to catch a
broken file too, so a pass means something. Then the site runs in a real nginx on
loopback ports in front of an echo server standing in for gunicorn: the forwarded
headers, /static/, the probes and the HTTP redirect are what a client gets. compose.yml has no validator here (no
Docker engine or compose plugin on the test machines): it is read as YAML and its
services checked. `.ci/run` installs systemd, nginx-light and openssl.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from incidents.decision_log.signing import generate_private_key
from tests.helpers import wait_until
from tests.ops.deploy_files import DOMAIN, RENDER, ROOT, UNITS, VENV, render, unit_settings


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """Render everything with paths that exist on this machine; return the paths used."""
    paths = {
        "out": tmp_path / "rendered",
        "app": ROOT,
        "state": tmp_path / "state",
        "static": tmp_path / "static",
        "cert": tmp_path / "tls" / "cert.pem",
        "key": tmp_path / "tls" / "key.pem",
        "env": tmp_path / "etc" / "icc.env",
    }
    for name in ("state", "static"):
        paths[name].mkdir()
    result = render(
        paths["out"],
        *("--app-dir", str(paths["app"]), "--venv", str(VENV)),
        *("--state-dir", str(paths["state"]), "--static-root", str(paths["static"])),
        *("--tls-cert", str(paths["cert"]), "--tls-key", str(paths["key"])),
        *("--env-file", str(paths["env"]), "--bind", "127.0.0.1:8123"),
        *("--user", "iccsvc", "--group", "iccsvc"),
    )
    assert result.returncode == 0, result.stderr
    return paths


def systemd_verify(*units: Path) -> tuple[int, str]:
    """Run `systemd-analyze verify`; return its exit code and everything it printed."""
    result = subprocess.run(
        ["/usr/bin/systemd-analyze", "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, (result.stdout + result.stderr).strip()


# --- render.py ----------------------------------------------------------------------------


def test_render_writes_every_file_with_the_domain(site):
    out = site["out"]
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [
        "env.example",
        "nginx/icc.conf",
        "systemd/icc-beat.service",
        "systemd/icc-web.service",
        "systemd/icc-worker.service",
    ]
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert DOMAIN in text, path
            assert "{{" not in text and "}}" not in text, path


@pytest.mark.parametrize(
    "option, value",
    [
        ("--domain", "https://icc.example.com"),
        ("--domain", "icc.example.com:443"),
        ("--app-dir", "relative/path"),
        ("--venv", "/opt/with space"),
        ("--state-dir", "/var/lib/../etc"),
        ("--user", "Root;rm"),
        ("--bind", "8000"),
        ("--web-workers", "0"),
        ("--worker-concurrency", "many"),
    ],
)
def test_a_bad_option_is_named_and_nothing_is_written(tmp_path, option, value):
    out = tmp_path / "out"
    options = {"--domain": DOMAIN, "--out": str(out), option: value}
    result = subprocess.run(
        [sys.executable, str(RENDER), *(item for pair in options.items() for item in pair)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert f"{option}: " in result.stderr
    assert not out.exists()


# --- systemd -------------------------------------------------------------------------------


def test_the_units_pass_systemd_analyze_verify(site):
    units = [site["out"] / "systemd" / name for name in UNITS]
    assert (VENV / "bin" / "gunicorn").exists() and (VENV / "bin" / "celery").exists()
    assert systemd_verify(*units) == (0, "")


def test_verify_catches_a_missing_binary(site, tmp_path):
    """The negative case: a venv without gunicorn and celery fails verification."""
    empty = tmp_path / "empty-venv"
    (empty / "bin").mkdir(parents=True)
    out = tmp_path / "broken"
    assert render(out, "--venv", str(empty), "--app-dir", str(ROOT)).returncode == 0
    code, output = systemd_verify(out / "systemd" / "icc-web.service")
    assert code != 0
    assert f"{empty}/bin/gunicorn is not executable" in output


def test_verify_output_catches_a_misspelt_setting(site):
    """systemd only warns (exit 0) on a value it cannot parse: the check fails on any output."""
    unit = site["out"] / "systemd" / "icc-beat.service"
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSystem=strictly"))
    code, output = systemd_verify(unit)
    assert (code, output) != (0, "")
    assert "ProtectSystem" in output or "protect system" in output


def test_the_web_unit_runs_gunicorn_as_documented_and_never_migrates(site):
    web = unit_settings(site["out"] / "systemd" / "icc-web.service")
    (start,) = web["Service.ExecStart"]
    assert start.startswith(
        f"{VENV}/bin/gunicorn --config python:console.gunicorn_conf console.wsgi:application "
    )
    for flag in (
        "--no-control-socket",
        "--bind 127.0.0.1:8123",
        "--workers 4",
        "--forwarded-allow-ips 127.0.0.1,::1",
        f"--chdir {ROOT}",
    ):
        assert flag in start
    assert "--access-logfile" not in start  # the console's `request` event is the access log
    assert web["Service.Type"] == ["notify"]
    assert web["Service.ExecReload"] == ["/bin/kill -s HUP $MAINPID"]
    assert "Service.ExecStartPre" not in web
    assert "migrate" not in (site["out"] / "systemd" / "icc-web.service").read_text()
    assert web["Service.RuntimeDirectory"] == ["icc-web"]
    assert "PROMETHEUS_MULTIPROC_DIR=/run/icc-web" in web["Service.Environment"]


@pytest.mark.parametrize("name", UNITS)
def test_every_unit_reads_the_env_file_restarts_and_is_hardened(site, name):
    unit = unit_settings(site["out"] / "systemd" / name)
    assert DOMAIN in unit["Unit.Description"][0]
    assert unit["Service.EnvironmentFile"] == [str(site["env"])]
    assert unit["Service.WorkingDirectory"] == [str(ROOT)]
    assert unit["Service.User"] == unit["Service.Group"] == ["iccsvc"]
    assert unit["Service.Restart"] == ["on-failure"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert unit[f"Service.{key}"] == [value], key
    assert unit["Install.WantedBy"] == ["multi-user.target"]


def test_the_worker_stops_gracefully(site):
    worker = unit_settings(site["out"] / "systemd" / "icc-worker.service")
    (start,) = worker["Service.ExecStart"]
    assert start == f"{VENV}/bin/celery -A console worker -l info --concurrency 4"
    assert worker["Service.KillMode"] == ["mixed"]
    assert worker["Service.KillSignal"] == ["SIGTERM"]
    assert int(worker["Service.TimeoutStopSec"][0]) >= 60


def test_beat_keeps_its_schedule_in_the_only_writable_path(site):
    beat = unit_settings(site["out"] / "systemd" / "icc-beat.service")
    (start,) = beat["Service.ExecStart"]
    schedule = site["state"] / "celerybeat-schedule"
    assert start == f"{VENV}/bin/celery -A console beat -l info --schedule {schedule}"
    assert beat["Service.ReadWritePaths"] == [str(site["state"])]


# --- nginx ---------------------------------------------------------------------------------


def self_signed(cert: Path, key: Path) -> None:
    cert.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", f"/CN={DOMAIN}"]
        + ["-addext", f"subjectAltName=DNS:{DOMAIN},IP:127.0.0.1"],
        capture_output=True,
        timeout=60,
        check=True,
    )


def nginx_wrapper(tmp_path: Path, site_conf: Path) -> Path:
    """A whole nginx.conf around the rendered site, writing only under tmp_path."""
    run = tmp_path / "nginx"
    run.mkdir(exist_ok=True)
    # As root, nginx's workers would run as nobody and could not read tmp_path.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {run / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = run / "nginx.conf"
    conf.write_text(
        f"{user}pid {run / 'nginx.pid'};\n"
        f"error_log {run / 'error.log'};\n"
        "events {}\n"
        "http {\n"
        f"    access_log {run / 'access.log'};\n"
        f"{temp}\n"
        f"    include {site_conf};\n"
        "}\n"
    )
    return conf


def nginx_test(conf: Path) -> tuple[int, str]:
    result = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-p", str(conf.parent), "-e", str(conf.parent / "error.log")]
        + ["-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def test_the_nginx_site_passes_nginx_t(site, tmp_path):
    self_signed(site["cert"], site["key"])
    code, output = nginx_test(nginx_wrapper(tmp_path, site["out"] / "nginx" / "icc.conf"))
    assert code == 0, output
    assert "test is successful" in output
    assert "[warn]" not in output and "[emerg]" not in output


def test_nginx_t_catches_a_broken_site(site, tmp_path):
    self_signed(site["cert"], site["key"])
    conf = site["out"] / "nginx" / "icc.conf"
    conf.write_text(conf.read_text().replace("proxy_pass http://", "proxy_pas http://", 1))
    code, output = nginx_test(nginx_wrapper(tmp_path, conf))
    assert code != 0
    assert 'unknown directive "proxy_pas"' in output


def test_nginx_t_catches_a_missing_certificate(site, tmp_path):
    """nginx -t loads the certificate: a site rendered before the certificate exists fails."""
    code, output = nginx_test(nginx_wrapper(tmp_path, site["out"] / "nginx" / "icc.conf"))
    assert code != 0
    assert str(site["cert"]) in output


def test_the_nginx_site_terminates_tls_serves_static_and_forwards(site):
    text = (site["out"] / "nginx" / "icc.conf").read_text()
    assert text.count(f"server_name {DOMAIN};") == 2
    assert f"ssl_certificate {site['cert']};" in text
    assert f"ssl_certificate_key {site['key']};" in text
    assert f"alias {site['static']}/;" in text
    for header in (
        "proxy_set_header Host $host;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    ):
        assert header in text
    tls = text[text.index("listen 443 ssl;") :]  # the HTTPS server; the plain one redirects
    for path in ("/healthz", "/readyz", "/metrics", "/"):
        block = re.search(r"location (= )?" + re.escape(path) + r" \{(.*?)\}", tls, re.S)
        assert block is not None, path
        assert "proxy_pass http://127.0.0.1:8123;" in block.group(2), path
    metrics = re.search(r"location = /metrics \{(.*?)\}", text, re.S)
    assert metrics is not None
    rules = [line.strip() for line in metrics.group(1).splitlines() if line.strip()]
    assert rules[-2:] == ["deny all;", "proxy_pass http://127.0.0.1:8123;"]
    assert "allow 127.0.0.0/8;" in rules and "allow 10.0.0.0/8;" in rules
    assert not any(rule.startswith("allow all") for rule in rules)


class Echo(BaseHTTPRequestHandler):
    """The upstream gunicorn would be: answers every GET with the path and headers it got."""

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_nginx(tmp_path):
    """Real nginx with the rendered site on loopback ports, in front of an echo upstream."""
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    out, static, acme = tmp_path / "rendered", tmp_path / "static", tmp_path / "acme"
    cert, key = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    (static / "console").mkdir(parents=True)
    (static / "console" / "app.css").write_text("body { color: black; }")
    (acme / ".well-known" / "acme-challenge").mkdir(parents=True)
    (acme / ".well-known" / "acme-challenge" / "token1").write_text("token1.thumbprint")
    self_signed(cert, key)
    result = render(
        out,
        *("--bind", f"127.0.0.1:{upstream.server_address[1]}", "--static-root", str(static)),
        *("--tls-cert", str(cert), "--tls-key", str(key), "--acme-root", str(acme)),
    )
    assert result.returncode == 0, result.stderr
    site = out / "nginx" / "icc.conf"
    rendered = site.read_text()
    # Free ports are only free until someone takes them (other tests run beside this one):
    # a start that loses the race is retried on new ports.
    for _attempt in range(3):
        http = free_port()
        while (https := free_port()) == http:
            pass
        text = rendered
        for old, new in [
            ("listen 80;", f"listen 127.0.0.1:{http};"),
            ("listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;"),
            ("listen [::]:80;", ""),  # the test machine may have no IPv6
            ("listen [::]:443 ssl;", ""),
        ]:
            assert old in text
            text = text.replace(old, new)
        site.write_text(text)
        conf = nginx_wrapper(tmp_path, site)
        nginx = subprocess.Popen(
            ["/usr/sbin/nginx", "-p", str(conf.parent), "-e", str(conf.parent / "error.log")]
            + ["-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        def listening() -> bool | str:
            if nginx.poll() is not None:
                errors = nginx.stderr.read().decode() if nginx.stderr else ""
                log = conf.parent / "error.log"
                errors += log.read_text(errors="replace") if log.exists() else ""
                return errors or f"exited with {nginx.returncode}"
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", https)) == 0

        outcome = wait_until(listening, timeout=20, what="nginx to listen")
        if outcome is True:
            break
        if "Address already in use" not in outcome:
            pytest.fail(f"nginx exited: {outcome}")
    else:
        pytest.fail("nginx found no free ports in three attempts")
    trust = ssl.create_default_context(cafile=str(cert))
    client = httpx.Client(verify=trust, headers={"Host": DOMAIN}, timeout=10)
    yield client, f"https://127.0.0.1:{https}", f"http://127.0.0.1:{http}"
    client.close()
    nginx.terminate()
    nginx.wait(timeout=20)
    upstream.shutdown()


def test_live_nginx_forwards_the_scheme_and_the_client_address(live_nginx):
    client, https, _ = live_nginx
    # A client's own forwarded headers: the scheme is overwritten, its address appended.
    response = client.get(
        f"{https}/incidents/?q=1",
        headers={"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/incidents/?q=1"
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["host"] == DOMAIN
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"  # right-most: who we saw
    assert headers["x-forwarded-host"] == DOMAIN


def test_live_nginx_serves_static_files_itself(live_nginx):
    client, https, _ = live_nginx
    response = client.get(f"{https}/static/console/app.css")
    assert response.status_code == 200
    assert response.text == "body { color: black; }"
    assert "max-age=604800" in response.headers["Cache-Control"]
    assert client.get(f"{https}/static/console/missing.css").status_code == 404


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_live_nginx_proxies_the_probes_and_metrics_from_loopback(live_nginx, path):
    client, https, _ = live_nginx
    response = client.get(f"{https}{path}")
    assert response.status_code == 200
    assert response.json()["path"] == path


def test_live_nginx_redirects_plain_http_but_answers_certbot(live_nginx):
    client, _, http = live_nginx
    response = client.get(f"{http}/incidents/")
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{DOMAIN}/incidents/"
    challenge = client.get(f"{http}/.well-known/acme-challenge/token1")
    assert (challenge.status_code, challenge.text) == (200, "token1.thumbprint")


# --- the env file and compose.yml ------------------------------------------------------------


def test_every_variable_of_the_env_file_is_documented(site):
    names = re.findall(r"^([A-Z][A-Z0-9_]*)=", (site["out"] / "env.example").read_text(), re.M)
    documented = (ROOT / "docs" / "configuration.md").read_text()
    assert "SECRET_KEY" in names and "ALLOWED_HOSTS" in names
    missing = [name for name in names if f"`{name}`" not in documented]
    assert missing == []


def test_the_env_file_names_the_domain_and_static_root(site):
    env = dict(
        line.split("=", 1)
        for line in (site["out"] / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["ALLOWED_HOSTS"] == DOMAIN
    assert env["SITE_URL"] == env["CSRF_TRUSTED_ORIGINS"] == f"https://{DOMAIN}"
    assert env["STATIC_ROOT"] == str(site["static"])
    assert env["BEHIND_TLS_PROXY"] == "1"
    assert env["SECRET_KEY"] == "CHANGE-ME"  # never a real secret in the repository


def test_the_env_file_filled_in_passes_the_deploy_check(site, tmp_path):
    """Its settings as they stand, with each CHANGE-ME given a value: only the accepted warning."""
    values = dict(
        line.split("=", 1)
        for line in (site["out"] / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    key = tmp_path / "log-signing-key.pem"
    generate_private_key(key)
    values |= {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2"),
        "EMAIL_HOST": "smtp.example.test",
        "LOG_SIGNING_KEY_FILE": str(key),
        "METRICS_TOKEN": secrets.token_urlsafe(32),
    }
    assert [name for name, value in values.items() if "CHANGE-ME" in value] == []
    env = values | {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env | {"CONSOLE_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert set(re.findall(r"\(([a-z_]+\.[WE]\d+)\)", output)) <= {"security.W021"}, output


@pytest.mark.django_db
def test_probes_answer_plain_http_although_everything_else_is_redirected(client, settings):
    """SECURE_SSL_REDIRECT (env.example) spares what load balancers and Prometheus ask gunicorn."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)
    assert client.get("/metrics").status_code == 403  # no token: refused, not redirected
    response = client.get("/incidents/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_compose_runs_postgresql_with_a_volume_and_redis_with_a_password():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "redis"}
    postgres, redis = services["postgres"], services["redis"]
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert "postgres-data" in compose["volumes"]
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    conf = compose["configs"][redis["configs"][0]["source"]]["content"]
    assert "requirepass ${REDIS_PASSWORD:?" in conf
    assert redis["command"][-1] == redis["configs"][0]["target"]
    for service in (postgres, redis):
        assert service["healthcheck"]["test"][0] == "CMD-SHELL"
        assert all(port.startswith("127.0.0.1:") for port in service["ports"])
