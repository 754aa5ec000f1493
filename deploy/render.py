#!/usr/bin/env python3
"""Render the deployment files of deploy/ for one site: systemd units, nginx site, env file.

    python3 deploy/render.py --domain icc.example.com --out /tmp/icc-deploy
    python3 deploy/render.py --help        # every option and its default

Writes OUT/systemd/icc-{web,worker,beat}.service, OUT/nginx/icc.conf and
OUT/env.example; docs/deploy.md says where each goes. Standard library only, and
no Django: it runs on a configuration-management host, or before the console's
environment (SECRET_KEY, DATABASE_URL, ...) exists, which `manage.py` would need.

Templates mark values as {{ name }} (nginx and systemd use `$` and `%` for their
own variables, `{{` for nothing). Every option is checked before anything is
written: a bad one names itself, exits 2 and leaves OUT as it was.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Template (relative to deploy/) -> rendered file (relative to OUT).
FILES = {
    "systemd/icc-web.service": "systemd/icc-web.service",
    "systemd/icc-worker.service": "systemd/icc-worker.service",
    "systemd/icc-beat.service": "systemd/icc-beat.service",
    "nginx/icc.conf": "nginx/icc.conf",
    "env.example": "env.example",
}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# A DNS name of at least two labels (no wildcards, no trailing dot, no scheme or port).
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
ACCOUNT = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")  # useradd's portable names
BIND = re.compile(r"^(127\.0\.0\.1|\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\]|localhost):\d{1,5}$")
PROXY_IPS = re.compile(r"^[0-9a-f.:/\[\],]+$")
# Characters a path may hold without quoting in a unit or an nginx directive.
SAFE_PATH = re.compile(r"^/[A-Za-z0-9._/@+-]*$")


class RenderError(ValueError):
    """An option cannot be used; the message names it."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Render the systemd units, nginx site and env file of deploy/ for one site.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--domain", required=True, help="Public host name, e.g. icc.example.com.")
    p.add_argument("--out", required=True, help="Directory to write to (created if missing).")
    p.add_argument("--app-dir", default="/opt/icc/app", help="The release checkout (cwd).")
    p.add_argument("--venv", default="/opt/icc/venv", help="Virtualenv with gunicorn, celery.")
    p.add_argument("--user", default="icc", help="System user the services run as.")
    p.add_argument("--group", default="icc", help="Its group (may read the env and key files).")
    p.add_argument("--env-file", default="/etc/icc/env", help="EnvironmentFile of the units.")
    p.add_argument("--state-dir", default="/var/lib/icc", help="Beat's schedule lives here.")
    p.add_argument("--static-root", default="/srv/icc/static", help="STATIC_ROOT, nginx serves.")
    p.add_argument("--bind", default="127.0.0.1:8000", help="gunicorn's address (host:port).")
    p.add_argument(
        "--proxy-ips",
        default="127.0.0.1,::1",
        help="Addresses gunicorn trusts X-Forwarded-* from (--forwarded-allow-ips).",
    )
    p.add_argument("--web-workers", default="4", help="gunicorn workers (about 2 x cores).")
    p.add_argument("--worker-concurrency", default="4", help="Celery worker processes.")
    p.add_argument(
        "--tls-cert",
        default="/etc/letsencrypt/live/{domain}/fullchain.pem",
        help="Certificate chain (PEM); {domain} is replaced.",
    )
    p.add_argument(
        "--tls-key",
        default="/etc/letsencrypt/live/{domain}/privkey.pem",
        help="Its private key (PEM); {domain} is replaced.",
    )
    p.add_argument(
        "--acme-root",
        default="/var/www/letsencrypt",
        help="Webroot for certbot's HTTP-01 challenges.",
    )
    return p


def _path(option: str, value: str) -> str:
    if not SAFE_PATH.match(value) or "//" in value or "/../" in value + "/":
        raise RenderError(
            f"--{option}: must be an absolute path of letters, digits and ._/@+- "
            f"(no spaces, quotes or ..), got {value!r}"
        )
    return value.rstrip("/") or "/"


def _count(option: str, value: str) -> str:
    if not value.isdigit() or not 1 <= int(value) <= 256:
        raise RenderError(f"--{option}: must be a whole number from 1 to 256, got {value!r}")
    return str(int(value))


def values(args: argparse.Namespace) -> dict[str, str]:
    """Check every option and return the template values; RenderError names the first bad one."""
    domain = args.domain.strip().lower()
    if not DOMAIN.match(domain):
        raise RenderError(
            f"--domain: must be a host name such as icc.example.com "
            f"(no scheme, port or path), got {args.domain!r}"
        )
    for option in ("user", "group"):
        if not ACCOUNT.match(getattr(args, option)):
            raise RenderError(
                f"--{option}: must be a system account name (a-z, 0-9, _ or -), "
                f"got {getattr(args, option)!r}"
            )
    if not BIND.match(args.bind):
        raise RenderError(f"--bind: must be host:port, e.g. 127.0.0.1:8000, got {args.bind!r}")
    if not PROXY_IPS.match(args.proxy_ips):
        raise RenderError(f"--proxy-ips: must be comma-separated addresses, got {args.proxy_ips!r}")
    return {
        "domain": domain,
        "app_dir": _path("app-dir", args.app_dir),
        "venv": _path("venv", args.venv),
        "user": args.user,
        "group": args.group,
        "env_file": _path("env-file", args.env_file),
        "state_dir": _path("state-dir", args.state_dir),
        "static_root": _path("static-root", args.static_root),
        "bind": args.bind,
        "proxy_ips": args.proxy_ips,
        "web_workers": _count("web-workers", args.web_workers),
        "worker_concurrency": _count("worker-concurrency", args.worker_concurrency),
        "tls_cert": _path("tls-cert", args.tls_cert.replace("{domain}", domain)),
        "tls_key": _path("tls-key", args.tls_key.replace("{domain}", domain)),
        "acme_root": _path("acme-root", args.acme_root),
    }


def render(template: str, context: dict[str, str], *, name: str) -> str:
    """Fill every {{ name }}; a placeholder without a value is a bug in the template."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in context:
            raise RenderError(f"{name}: the template uses {{{{ {key} }}}}, which has no value")
        return context[key]

    return PLACEHOLDER.sub(fill, template)


def render_all(context: dict[str, str], out: Path) -> list[Path]:
    """Render every template in memory first, then write them; return the written paths."""
    rendered = {
        target: render((HERE / source).read_text(encoding="utf-8"), context, name=source)
        for source, target in FILES.items()
    }
    written = []
    for target, text in rendered.items():
        path = out / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        p.error(f"--out: {out} exists and is not a directory")
    try:
        context = values(args)
        written = render_all(context, out)
    except RenderError as exc:
        p.error(str(exc))  # exits 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
