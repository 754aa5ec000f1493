"""Fixtures of the operations tests (backups and restores)."""

from __future__ import annotations

import pytest

from incidents.decision_log.signing import generate_private_key


@pytest.fixture
def signer(tmp_path, settings):
    """Sign decision-log checkpoints with a key made for this test, trusting only it."""
    path = tmp_path / "log-signing.pem"
    key = generate_private_key(path)
    settings.LOG_SIGNING_KEY_FILE = str(path)
    settings.LOG_TRUSTED_PUBLIC_KEYS = []
    return key
