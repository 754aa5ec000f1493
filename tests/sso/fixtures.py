"""Fixtures for single sign-on tests: a real OpenID Connect provider in its own process."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

PROVIDER = Path(__file__).with_name("provider.py")
CLIENT_ID, CLIENT_SECRET = "icc-console", "provider-test-secret"
GROUP_MAP = [
    ("icc-commanders", "commander"),
    ("icc-responders", "responder"),
    ("icc-execs", "executive"),
    ("icc-regulators", "regulator"),
]


def _user(sub: str, username: str, groups: list[str], email: str) -> dict[str, Any]:
    return {
        "sub": sub,
        "claims": {
            "preferred_username": username,
            "email": email,
            "name": username.title(),
            "groups": groups,
        },
    }


USERS = {
    "alice": _user("0001-alice", "alice", ["icc-commanders"], "alice@example.org"),
    "carol": _user(
        "0003-carol", "carol", ["icc-responders", "icc-execs", "icc-other"], "carol@example.org"
    ),
    "bob": _user("0002-bob", "bob", ["icc-marketing"], "bob@example.org"),
    # Claims alice's e-mail and username: must get an account of its own, never alice's.
    "mallory": _user("0666-mallory", "alice", ["icc-responders"], "alice@example.org"),
}


@dataclass
class OidcProvider:
    issuer: str

    def set_mode(self, mode: str) -> None:
        httpx.post(f"{self.issuer}/test/mode", data={"mode": mode}).raise_for_status()

    def set_groups(self, username: str, groups: list[str]) -> None:
        httpx.post(
            f"{self.issuer}/test/groups", data={"username": username, "groups": ",".join(groups)}
        ).raise_for_status()

    def log_in(self, authorize_url: str, username: str) -> str:
        """Submit the provider's login form as `username`; return the callback URL it sends back."""
        query = dict(httpx.URL(authorize_url).params)
        answer = httpx.post(f"{self.issuer}/authorize", data={**query, "username": username})
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """Start the provider on a free loopback port and wait (with a deadline) until it answers."""
    config = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "users": USERS}
    proc = subprocess.Popen(
        [sys.executable, str(PROVIDER), json.dumps(config)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("PORT "), f"provider did not start: {line!r}"
        issuer = f"http://127.0.0.1:{int(line.split()[1])}"
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(
                    f"{issuer}/.well-known/openid-configuration", timeout=1
                ).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield OidcProvider(issuer=issuer)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def sso_settings(settings: Any, oidc_provider: OidcProvider) -> OidcProvider:
    """Configure the console for the test provider (endpoints through discovery)."""
    from sso.discovery import discover

    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_GROUP_MAP = GROUP_MAP
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_ENABLED = True
    for name in (
        "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT",
        "OIDC_OP_JWKS_ENDPOINT",
    ):
        setattr(settings, name, "")
    discover.cache_clear()
    oidc_provider.set_mode("normal")
    yield oidc_provider
    oidc_provider.set_mode("normal")
    discover.cache_clear()


def callback_path(url: str) -> str:
    """Turn the provider's absolute redirect into a path the Django test client can GET."""
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}"
