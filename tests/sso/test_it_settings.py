"""OIDC_GROUP_MAP and the other OIDC_* settings fail loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from console.env import env_pairs
from incidents.choices import GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_RESPONDER
from sso.groupmap import groups_for_claims, parse_group_map

ROOT = Path(__file__).resolve().parents[2]


def test_map_parses_and_merges() -> None:
    mapping = parse_group_map(
        [("icc-cmd", "commander"), ("icc-cmd", "responder"), ("icc-x", "executive")]
    )
    assert mapping == {"icc-cmd": {GROUP_COMMANDER, GROUP_RESPONDER}, "icc-x": {GROUP_EXECUTIVE}}


@pytest.mark.parametrize("role", ["admin", "superuser", "Commander", ""])
def test_unknown_role_refused(role: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="OIDC_GROUP_MAP: unknown role"):
        parse_group_map([("g", role)])


@pytest.mark.parametrize("raw", ["icc-cmd", "icc-cmd:", ":commander", "a:commander,b"])
def test_malformed_pairs_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("OIDC_GROUP_MAP", raw)
    with pytest.raises(ImproperlyConfigured, match="OIDC_GROUP_MAP items must look like key:value"):
        env_pairs("OIDC_GROUP_MAP")


def test_claim_values_with_colons_keep_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OIDC_GROUP_MAP", "urn:icc:ops:responder,icc-x:executive")
    assert env_pairs("OIDC_GROUP_MAP") == [("urn:icc:ops", "responder"), ("icc-x", "executive")]


def test_groups_claim_as_string_or_junk() -> None:
    mapping = {"a": frozenset({GROUP_RESPONDER})}
    assert groups_for_claims({"groups": "a"}, claim="groups", mapping=mapping) == {GROUP_RESPONDER}
    assert (
        groups_for_claims({"groups": [1, None, {"a": 1}]}, claim="groups", mapping=mapping) == set()
    )
    assert groups_for_claims({}, claim="groups", mapping=mapping) == set()


def _check(**env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "SECRET_KEY": "x", **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        check=False,
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_fails_on_unknown_role() -> None:
    result = _check(
        OIDC_CLIENT_ID="c",
        OIDC_CLIENT_SECRET="s",
        OIDC_ISSUER="https://idp.example",
        OIDC_GROUP_MAP="icc-admins:admin",
    )
    assert result.returncode != 0
    assert "unknown role 'admin'" in result.stderr


def test_start_up_fails_on_half_configuration() -> None:
    result = _check(OIDC_CLIENT_ID="c")
    assert result.returncode != 0
    assert "OIDC_CLIENT_ID needs OIDC_ISSUER" in result.stderr


def test_start_up_fails_on_bad_password_login() -> None:
    result = _check(PASSWORD_LOGIN="maybe")
    assert result.returncode != 0
    assert "PASSWORD_LOGIN must be a boolean" in result.stderr
