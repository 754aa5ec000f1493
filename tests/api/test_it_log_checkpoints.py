"""GET /api/v1/incidents/{id}/log/verify/ says which signed checkpoint the chain matches (#10)."""

from __future__ import annotations

import pytest

from incidents.decision_log.checkpoints import checkpoint_logs
from incidents.decision_log.signing import generate_private_key
from incidents.decisions import add_note
from tests.incidents.log_support import recompute_chain_from


def verify_url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/log/verify/"


@pytest.fixture
def signed(tmp_path, settings, incident, commander):
    path = tmp_path / "log-signing.pem"
    generate_private_key(path)
    settings.LOG_SIGNING_KEY_FILE = str(path)
    settings.LOG_TRUSTED_PUBLIC_KEYS = []
    add_note(incident=incident, by=commander, text="Rolled back to v41")
    [checkpoint] = checkpoint_logs()
    return checkpoint


def test_an_intact_chain_names_its_checkpoint(api, incident, signed):
    body = api.get(verify_url(incident)).json()

    assert (body["valid"], body["status"], body["first_broken"], body["entries"]) == (
        True,
        "intact",
        None,
        3,
    )
    assert body["checkpoint"] == {
        "number": 1,
        "sequence": 3,
        "signed_at": signed.signed_at.isoformat().replace("+00:00", "Z"),
        "key_id": signed.key_id,
        "valid": True,
    }


def test_a_recomputed_chain_is_rewritten_not_intact(api, incident, signed):
    recompute_chain_from(incident.pk, 2, "Nobody was assigned")

    body = api.get(verify_url(incident)).json()

    assert (body["valid"], body["status"], body["first_broken"]) == (False, "rewritten", None)
    assert body["detail"].startswith("rewritten before checkpoint 1 (entry #3) signed at")
    assert (body["checkpoint"]["sequence"], body["checkpoint"]["valid"]) == (3, False)
