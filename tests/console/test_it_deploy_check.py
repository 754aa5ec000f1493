"""`manage.py check --deploy` passes with production-like settings (#10, item 12).

It runs in a subprocess with a clean environment, as a deployment would start
it. Any warning not in ACCEPTED fails the test; each accepted one is explained
in docs/deploy.md ("Checks").
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# docs/deploy.md explains why each is accepted.
ACCEPTED = {
    "security.W021",  # SECURE_HSTS_PRELOAD: opt-in, a commitment browsers keep for months
}


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "CONSOLE_VAR_DIR": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "icc.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://icc.example.com",
        "SITE_URL": "https://icc.example.com",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_HSTS_SECONDS": "31536000",
        "BEHIND_TLS_PROXY": "1",
        "DEBUG": "0",
        "DEMO": "0",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2"),
    }
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return env | overrides


def deploy_check(env: dict[str, str]) -> tuple[int, set[str], str]:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    return result.returncode, set(re.findall(r"\(([a-z_]+\.[WE]\d+)\)", output)), output


def test_production_settings_pass_the_deploy_check(tmp_path):
    status, found, output = deploy_check(production_env(tmp_path))
    assert status == 0, output
    assert found <= ACCEPTED, output


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DEBUG": "1"}, "security.W018"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SECURE_COOKIES": "0"}, "security.W012"),
        ({"SECRET_KEY": "short"}, "security.W009"),
    ],
)
def test_the_check_would_catch_a_weakened_setting(tmp_path, overrides, expected):
    """The test above can fail: each weakened setting shows up as a warning we do not accept."""
    _, found, output = deploy_check(production_env(tmp_path, **overrides))
    assert expected in found, output
    assert expected not in ACCEPTED
