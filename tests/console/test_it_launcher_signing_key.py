"""`make run` (DEMO) signs decision-log checkpoints with a key it makes once under var/ (#10)."""

from __future__ import annotations

import os
import sys

from console.launcher import demo_signing_key
from incidents.decision_log.signing import load_private_key


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"LOG_SIGNING_KEY_FILE", "DEMO"}}
    return env | extra


def test_the_demo_makes_a_key_once_and_points_the_services_at_it(tmp_path):
    env = _env(DEMO="1")

    path = demo_signing_key(python=sys.executable, env=env, var_dir=tmp_path)

    assert path == tmp_path / "log-signing-key.pem"
    assert env["LOG_SIGNING_KEY_FILE"] == str(path)
    assert path.stat().st_mode & 0o777 == 0o600
    key_id = load_private_key(path).key_id
    again = _env(DEMO="1")
    assert demo_signing_key(python=sys.executable, env=again, var_dir=tmp_path) == path
    assert load_private_key(path).key_id == key_id  # reused, never replaced


def test_outside_the_demo_or_with_a_key_configured_nothing_is_made(tmp_path):
    assert demo_signing_key(python=sys.executable, env=_env(), var_dir=tmp_path) is None
    configured = _env(DEMO="1", LOG_SIGNING_KEY_FILE="/run/secrets/log-key.pem")
    assert demo_signing_key(python=sys.executable, env=configured, var_dir=tmp_path) is None
    assert configured["LOG_SIGNING_KEY_FILE"] == "/run/secrets/log-key.pem"
    assert list(tmp_path.iterdir()) == []
