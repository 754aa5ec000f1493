"""Signed checkpoints catch a chain recomputed by someone with database write access (#10).

The attack: lift the triggers, rewrite an entry and every hash after it, put
the triggers back. The chain alone is consistent again ("intact"); only a
signature made with a key outside the database tells the rewrite apart.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from incidents.checks import check_log_signing_keys
from incidents.choices import Phase
from incidents.decision_log import triggers as log_triggers
from incidents.decision_log.checkpoints import checkpoint_incident, checkpoint_logs, verify_log
from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint
from incidents.decision_log.signing import (
    SigningKeyError,
    generate_private_key,
    load_private_key,
    public_key_text,
)
from incidents.decision_log.verify import verify_chain
from incidents.decisions import add_note
from incidents.services import declare_incident, reach_milestone
from incidents.tasks import checkpoint_logs_task
from tests.helpers import race
from tests.incidents.log_support import recompute_chain_from, tamper


@pytest.fixture
def key_path(tmp_path, settings) -> Path:
    path = tmp_path / "log-signing.pem"
    generate_private_key(path)
    settings.LOG_SIGNING_KEY_FILE = str(path)
    settings.LOG_TRUSTED_PUBLIC_KEYS = []
    return path


@pytest.fixture
def logged(incident, commander, clock):
    for text in ("Rolled back to v41", "FP rate back under 2 %"):
        clock.advance(minutes=1)
        add_note(incident=incident, by=commander, text=text)
    return incident


def head_sequence(incident) -> int:
    return DecisionLogEntry.objects.filter(incident=incident).order_by("-sequence").first().sequence


# --- The attack ------------------------------------------------------------------------


def test_a_chain_recomputed_after_a_checkpoint_is_reported_as_rewritten(key_path, logged, clock):
    [checkpoint] = checkpoint_logs()
    clock.advance(minutes=5)

    recompute_chain_from(logged.pk, 3, "Nothing was rolled back")

    assert verify_chain(logged.pk).valid  # the chain alone cannot tell
    report = verify_log(logged.pk)
    assert (report.valid, report.status, report.first_broken) == (False, "rewritten", None)
    stamp = checkpoint.signed_at.isoformat(timespec="seconds")
    assert report.detail.startswith(
        f"rewritten before checkpoint 1 (entry #{checkpoint.sequence}) signed at {stamp}"
    )
    assert report.checkpoint == {
        "number": 1,
        "sequence": checkpoint.sequence,
        "signed_at": checkpoint.signed_at,
        "key_id": checkpoint.key_id,
        "valid": False,
    }


def test_the_command_reports_a_rewrite_distinct_from_a_broken_link(key_path, logged):
    checkpoint_logs()
    recompute_chain_from(logged.pk, 2, "Declared SEV3")
    out = StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("verify_decision_log", stdout=out)

    assert excinfo.value.returncode == 1
    assert f"INC-{logged.pk}: rewritten before checkpoint 1 (entry #4) signed at" in out.getvalue()
    assert "chain broken" not in out.getvalue()


def test_a_broken_link_stays_a_broken_link(key_path, logged):
    checkpoint_logs()
    target = DecisionLogEntry.objects.get(incident=logged, sequence=3)
    tamper(
        [(f"UPDATE {log_triggers.TABLE} SET summary = %s WHERE id = %s", ["Nothing", target.pk])]
    )

    report = verify_log(logged.pk)

    assert (report.status, report.first_broken["sequence"]) == ("broken", 3)
    # Only the content changed, not the stored hash: the signed head still matches.
    assert report.checkpoint is None or report.checkpoint["valid"]


def test_a_truncated_log_no_longer_reaches_its_checkpoint(key_path, logged):
    checkpoint_logs()
    last = DecisionLogEntry.objects.get(incident=logged, sequence=4)
    tamper([(f"DELETE FROM {log_triggers.TABLE} WHERE id = %s", [last.pk])])

    report = verify_log(logged.pk)

    assert verify_chain(logged.pk).valid
    assert report.status == "rewritten"
    assert "checkpoint 1 (entry #4)" in report.detail


def test_an_intact_chain_names_the_checkpoint_it_matches(key_path, logged, commander):
    checkpoint_logs()
    add_note(incident=logged, by=commander, text="Monitoring")

    report = verify_log(logged.pk)

    assert (report.valid, report.status) == (True, "intact")
    assert report.checkpoint["sequence"] == 4 and report.checkpoint["valid"] is True
    assert report.detail == "matches checkpoint 1 (entry #4); 1 later entries not signed yet"
    out = StringIO()
    call_command("verify_decision_log", stdout=out)
    assert "all chains intact (1 match a signed checkpoint, 0 unsigned)" in out.getvalue()


# --- Signatures --------------------------------------------------------------------------


def _insert_checkpoint(incident, *, signer, claimed_key_id: str | None = None) -> LogCheckpoint:
    """Insert a checkpoint row as an attacker would (the table accepts inserts)."""
    head = DecisionLogEntry.objects.filter(incident=incident).order_by("-sequence").first()
    checkpoint = LogCheckpoint(
        incident=incident,
        sequence=head.sequence,
        head_hash=head.hash,
        signed_at=head.recorded_at,
        key_id=claimed_key_id or signer.key_id,
    )
    checkpoint.signature = signer.sign(checkpoint.signed_message())
    checkpoint.save(force_insert=True)
    return checkpoint


def test_a_checkpoint_signed_with_another_key_is_invalid(key_path, logged, tmp_path):
    mallory = generate_private_key(tmp_path / "mallory.pem")
    _insert_checkpoint(logged, signer=mallory)

    report = verify_log(logged.pk)

    assert (report.valid, report.status) == (False, "bad_signature")
    assert f"signed by untrusted key {mallory.key_id}" in report.detail
    assert report.checkpoint["valid"] is False


def test_a_forged_signature_under_the_trusted_key_id_is_invalid(key_path, logged, tmp_path):
    trusted = load_private_key(key_path)
    mallory = generate_private_key(tmp_path / "mallory.pem")
    recompute_chain_from(logged.pk, 3, "Nothing was rolled back")
    _insert_checkpoint(logged, signer=mallory, claimed_key_id=trusted.key_id)

    report = verify_log(logged.pk)

    assert verify_chain(logged.pk).valid
    assert report.status == "bad_signature"
    assert "its signature does not verify" in report.detail


def test_a_signature_covers_every_field(key_path, logged):
    [checkpoint] = checkpoint_logs()
    # Moving a genuine signature to another position (or time) must not verify.
    moved = dict(
        sequence=checkpoint.sequence - 1,
        head_hash=DecisionLogEntry.objects.get(
            incident=logged, sequence=checkpoint.sequence - 1
        ).hash,
    )
    forged = LogCheckpoint(
        incident=logged,
        signed_at=checkpoint.signed_at,
        key_id=checkpoint.key_id,
        signature=checkpoint.signature,
        **moved,
    )
    forged.save(force_insert=True)

    assert verify_log(logged.pk).status == "bad_signature"


def test_checkpoints_of_a_rotated_key_still_verify(key_path, logged, commander, settings, tmp_path):
    old = load_private_key(key_path)
    checkpoint_logs()
    new_path = tmp_path / "new.pem"
    generate_private_key(new_path)
    settings.LOG_SIGNING_KEY_FILE = str(new_path)
    add_note(incident=logged, by=commander, text="After the rotation")
    assert verify_log(logged.pk).status == "bad_signature"  # the old key is no longer trusted

    settings.LOG_TRUSTED_PUBLIC_KEYS = [public_key_text(old.public_key)]
    checkpoint_logs()
    report = verify_log(logged.pk)

    assert report.status == "intact"
    assert report.checkpoint["key_id"] == load_private_key(new_path).key_id
    assert sorted(LogCheckpoint.objects.values_list("sequence", flat=True)) == [4, 5]


# --- When signing happens ------------------------------------------------------------------


def test_beat_signs_moved_heads_once(key_path, logged, commander, settings):
    assert settings.CELERY_BEAT_SCHEDULE["log-checkpoints"] == {
        "task": checkpoint_logs_task.name,
        "schedule": float(settings.LOG_CHECKPOINT_SECONDS),
    }
    assert checkpoint_logs_task() == 1
    assert checkpoint_logs_task() == 0  # idempotent: the head has not moved
    assert list(LogCheckpoint.objects.values_list("incident_id", "sequence")) == [(logged.pk, 4)]

    add_note(incident=logged, by=commander, text="Monitoring")
    assert checkpoint_logs_task() == 1
    assert list(LogCheckpoint.objects.values_list("sequence", flat=True)) == [4, 5]


def test_a_phase_change_signs_its_head(
    key_path, logged, commander, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reach_milestone(
            incident=logged,
            phase=Phase.CONTAINED,
            indicator="FP rate < 2 % for 30 min",
            by=commander,
        )

    [checkpoint] = LogCheckpoint.objects.all()
    assert (checkpoint.incident_id, checkpoint.sequence) == (logged.pk, head_sequence(logged))
    assert verify_log(logged.pk).status == "intact"


def test_a_declaration_signs_its_head(
    key_path, commander, fraud_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare_incident(
            by=commander, title="Drift", severity=3, models=[(fraud_model, "")]
        )

    assert list(LogCheckpoint.objects.values_list("incident_id", "sequence")) == [(incident.pk, 2)]


def test_a_rewritten_chain_is_never_signed(key_path, logged, commander):
    checkpoint_logs()
    recompute_chain_from(logged.pk, 3, "Nothing was rolled back")
    add_note(incident=logged, by=commander, text="Monitoring")

    assert checkpoint_logs() == []
    assert LogCheckpoint.objects.count() == 1


def test_without_a_key_nothing_is_signed_and_the_log_is_unsigned(
    logged, commander, settings, django_capture_on_commit_callbacks
):
    settings.LOG_SIGNING_KEY_FILE = ""
    with django_capture_on_commit_callbacks(execute=True):
        reach_milestone(
            incident=logged, phase=Phase.CONTAINED, indicator="FP rate < 2 %", by=commander
        )

    assert checkpoint_logs_task() == 0
    assert not LogCheckpoint.objects.exists()
    report = verify_log(logged.pk)
    assert (report.valid, report.status, report.checkpoint) == (True, "unsigned", None)
    out = StringIO()
    call_command("verify_decision_log", stdout=out)
    assert "No log signing key configured" in out.getvalue()
    assert "all chains intact (0 match a signed checkpoint, 1 unsigned)" in out.getvalue()


def test_checkpoints_are_not_checked_without_any_trusted_key(key_path, logged, settings):
    checkpoint_logs()
    settings.LOG_SIGNING_KEY_FILE = ""
    report = verify_log(logged.pk)
    assert report.status == "unsigned"
    assert "1 checkpoint(s) not checked" in report.detail


def test_signing_a_signed_head_again_does_nothing(key_path, logged):
    signer = load_private_key(key_path)
    first = checkpoint_incident(incident_id=logged.pk, signer=signer)
    second = checkpoint_incident(incident_id=logged.pk, signer=signer)
    assert first is not None and second is None
    assert LogCheckpoint.objects.count() == 1


# --- The key ---------------------------------------------------------------------------------


def test_the_command_generates_a_usable_private_key(tmp_path, settings, logged):
    path = tmp_path / "key.pem"
    out, err = StringIO(), StringIO()

    call_command("generate_log_signing_key", str(path), stdout=out, stderr=err)

    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    public = out.getvalue().strip()
    assert len(base64.b64decode(public)) == 32
    settings.LOG_SIGNING_KEY_FILE = str(path)
    printed = StringIO()
    call_command("log_signing_public_key", stdout=printed, stderr=StringIO())
    assert printed.getvalue().strip() == public
    assert len(checkpoint_logs()) == 1 and verify_log(logged.pk).status == "intact"


def test_the_command_makes_the_key_the_settings_already_name(tmp_path, settings):
    """Deployments set LOG_SIGNING_KEY_FILE first; the missing key must not stop its own creation."""
    path = tmp_path / "key.pem"
    env = os.environ | {"LOG_SIGNING_KEY_FILE": str(path), "SECRET_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "manage.py", "generate_log_signing_key", str(path)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == public_key_text(load_private_key(path).public_key)


def test_the_command_never_replaces_a_key(tmp_path):
    path = tmp_path / "key.pem"
    call_command("generate_log_signing_key", str(path), stdout=StringIO(), stderr=StringIO())
    before = path.read_bytes()
    with pytest.raises(CommandError, match="refusing to replace"):
        call_command("generate_log_signing_key", str(path), stdout=StringIO(), stderr=StringIO())
    assert path.read_bytes() == before


def _bad_key_file(tmp_path: Path, problem: str) -> tuple[Path, str]:
    path = tmp_path / "key.pem"
    if problem == "missing":
        return path, "does not exist"
    if problem == "unreadable":
        path.mkdir()  # a directory: unreadable as a file, even for root
        os.chmod(path, 0o700)
        return path, "cannot be read"
    generate_private_key(path)
    if problem == "world-readable":
        os.chmod(path, 0o644)
        return path, "mode 0644: others can read or write it"
    if problem == "group-writable":
        os.chmod(path, 0o660)
        return path, "mode 0660"
    path.write_bytes(b"not a key")
    return path, "not an unencrypted PEM private key"


@pytest.mark.parametrize(
    "problem", ["missing", "unreadable", "world-readable", "group-writable", "garbage"]
)
def test_an_unusable_key_file_is_a_loud_error(tmp_path, settings, logged, problem):
    path, message = _bad_key_file(tmp_path, problem)
    settings.LOG_SIGNING_KEY_FILE = str(path)

    with pytest.raises(SigningKeyError, match=message):
        checkpoint_logs_task()
    with pytest.raises(CommandError, match=message):
        call_command("log_signing_public_key", stdout=StringIO())
    with pytest.raises(CommandError, match=message):
        call_command("verify_decision_log", stdout=StringIO())
    [error] = check_log_signing_keys()
    assert error.id == "incidents.E001" and message in error.msg
    assert not LogCheckpoint.objects.exists()


def test_a_group_readable_key_is_accepted(tmp_path):
    """0440 for a group that web and beat share is how many secret mounts look."""
    path = tmp_path / "key.pem"
    generate_private_key(path)
    os.chmod(path, 0o440)
    assert load_private_key(path).key_id


def test_a_bad_trusted_public_key_is_a_loud_error(settings):
    settings.LOG_SIGNING_KEY_FILE = ""
    settings.LOG_TRUSTED_PUBLIC_KEYS = ["bm90IGEga2V5"]
    [error] = check_log_signing_keys()
    assert "LOG_TRUSTED_PUBLIC_KEYS" in error.msg


@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_at_once_sign_a_head_once(postgres_only, key_path, logged):
    """The incident row lock queues the second signer, which then finds the head signed."""
    results = race(lambda: len(checkpoint_logs()))

    assert sorted(results) == [0, 1]
    # (The declaration, committed for real here, signed entry #2 on its own.)
    assert list(LogCheckpoint.objects.values_list("sequence", flat=True)) == [2, 4]


def test_the_admin_shows_checkpoints_read_only(client, admin_user, key_path, logged):
    [checkpoint] = checkpoint_logs()
    client.force_login(admin_user)
    change_url = reverse("admin:incidents_logcheckpoint_change", args=[checkpoint.pk])

    assert client.get(reverse("admin:incidents_logcheckpoint_changelist")).status_code == 200
    assert b'name="head_hash"' not in client.get(change_url).content
    assert client.post(change_url, {"head_hash": "f" * 64}).status_code == 403
    delete_url = reverse("admin:incidents_logcheckpoint_delete", args=[checkpoint.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert LogCheckpoint.objects.get().head_hash == checkpoint.head_hash
