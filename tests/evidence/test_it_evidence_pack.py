"""Evidence packs (#13 B): what a pack holds, that verify_evidence accepts it, and that it
catches every kind of tampering, with and without the attacker fixing the manifest."""

from __future__ import annotations

import hashlib
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import Action, AuditEvent
from evidence.pack import build_pack
from incidents.choices import GROUP_RESPONDER
from incidents.decision_log.checkpoints import checkpoint_logs
from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.signing import generate_private_key, public_key_text
from incidents.decisions import add_note, record_decision
from learning.reviews import services as review_services
from tests.builders import make_user, publish_renditions, resolve
from tests.evidence.support import members, replace_text, rewrite, save
from tests.helpers import token_client
from tests.learning.review_support import complete

REGULATOR_MD = "renditions/update-002-regulator.md"


@pytest.fixture
def signing_key(tmp_path, settings) -> str:
    path = tmp_path / "log-signing.pem"
    signer = generate_private_key(path)
    settings.LOG_SIGNING_KEY_FILE = str(path)
    settings.LOG_TRUSTED_PUBLIC_KEYS = []
    return public_key_text(signer.public_key)


@pytest.fixture
def other_key(tmp_path) -> str:
    return public_key_text(generate_private_key(tmp_path / "other.pem").public_key)


@pytest.fixture
def handed_over(incident, commander, clock, signing_key):
    """A resolved SEV2: two published updates (the second with a regulator rendition signed off
    by the liaison and published by the comms lead), a decision, a published review and a
    signed checkpoint of the log's head."""
    carla = make_user("carla", GROUP_RESPONDER)
    clock.advance(minutes=5)
    publish_renditions(incident, commander, carla, technical={"summary": "Rolling back to v41"})
    clock.advance(minutes=5)
    record_decision(
        incident=incident,
        by=commander,
        decision_type="rollback_model",
        decision="Roll back to v41",
        rationale="FP doubled after v42",
    )
    clock.advance(minutes=5)
    publish_renditions(
        incident,
        commander,
        carla,
        regulator_liaison=commander,  # the commander also holds the liaison role; carla publishes
        technical={"summary": "v41 live, FP at 1.9 %", "body": "Threshold unchanged."},
        executive={"summary": "Card payments back to normal"},
        regulator={"summary": "Service restored; 1,200 customers affected", "body": "EU only."},
    )
    clock.advance(minutes=5)
    incident = resolve(incident, commander)
    review = review_services.start_review(incident=incident, by=commander)
    review_services.edit_review(review=review, by=commander, **complete({}))
    review_services.publish_review(review=review, by=commander)
    assert checkpoint_logs(), "the log must carry a signed checkpoint"
    return incident


@pytest.fixture
def pack(handed_over, commander) -> bytes:
    response = token_client(commander).get(f"/api/v1/incidents/{handed_over.pk}/evidence/")
    assert response.status_code == 200, response.content[:300]
    return response.content


def verify(tmp_path, data: bytes, *keys: str) -> str:
    """Run the command; return its output, or raise CommandError (with the output attached)."""
    out = StringIO()
    args = [str(save(tmp_path, data))]
    for key in keys:
        args += ["--public-key", key]
    try:
        call_command("verify_evidence", *args, stdout=out)
    except CommandError as exc:
        exc.output = out.getvalue()  # type: ignore[attr-defined]
        raise
    return out.getvalue()


def refused(tmp_path, data: bytes, *keys: str) -> str:
    with pytest.raises(CommandError) as caught:
        verify(tmp_path, data, *keys)
    assert caught.value.returncode == 1, str(caught.value)
    return caught.value.output  # type: ignore[attr-defined]


# --- What a pack holds ------------------------------------------------------------------------


def test_the_api_hands_over_a_zip_and_the_audit_trail_records_it(handed_over, commander):
    response = token_client(commander).get(f"/api/v1/incidents/{handed_over.pk}/evidence/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{handed_over.reference}-evidence-'
    )
    assert response["Cache-Control"] == "private, no-store"
    files = members(response.content)
    digest = hashlib.sha256(files["manifest.json"]).hexdigest()
    assert response["X-Manifest-SHA256"] == digest
    event = AuditEvent.objects.get(action=Action.EVIDENCE_EXPORTED)
    assert (event.actor, event.object_id) == (commander, str(handed_over.pk))
    assert event.details["manifest_sha256"] == digest and event.details["signed"] is True


def test_a_pack_holds_the_log_its_checkpoints_every_published_rendition_and_the_review(
    pack, handed_over
):
    files = members(pack)
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(files) - {"manifest.json", "manifest.sig"}
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["path"]]).hexdigest() == entry["sha256"]

    lines = [json.loads(line) for line in files["decision-log.jsonl"].decode().splitlines()]
    stored = list(DecisionLogEntry.objects.filter(incident=handed_over).order_by("sequence"))
    assert [(x["sequence"], x["hash"]) for x in lines] == [(e.sequence, e.hash) for e in stored]
    assert manifest["log"] == {"entries": len(stored), "head": stored[-1].hash}
    assert json.loads(files["chain-verification.json"])["status"] == "intact"
    assert json.loads(files["checkpoints.json"])[-1]["head_hash"] in {e.hash for e in stored}

    updates = json.loads(files["updates.json"])
    assert [u["number"] for u in updates] == [1, 2]
    regulator = next(r for r in updates[1]["renditions"] if r["audience"] == "regulator")
    assert regulator["signed_off_by"] == "Cara Commander (cara)" and regulator["signed_off_at"]
    assert updates[1]["published_by"] == "carla"
    text = files[REGULATOR_MD].decode()
    assert "Service restored; 1,200 customers affected" in text and "Signed off" in text
    assert {"review.json", "review/technical.md", "review/executive.md", "review/regulator.md"} <= (
        set(files)
    )
    assert manifest["signing"]["algorithm"] == "Ed25519" and "manifest.sig" in files


def test_a_fresh_pack_verifies_with_the_public_key(tmp_path, pack, signing_key):
    out = verify(tmp_path, pack, signing_key)
    assert "verified." in out and "skipped" not in out
    for check in ("manifest signature", "decision log", "checkpoints: 1 of 1", "updates: 2"):
        assert check in out


def test_without_a_key_the_command_says_what_it_could_not_check(tmp_path, pack):
    out = verify(tmp_path, pack)
    assert "not everything was checked" in out
    assert "manifest signature" in out and "no --public-key given" in out


def test_a_pack_signed_by_another_key_is_refused(tmp_path, pack, other_key):
    out = refused(tmp_path, pack, other_key)
    assert "manifest.sig: signed by key" in out and "not among the keys given" in out
    assert "checkpoint 1" in out


# --- Tampering: each kind of file ------------------------------------------------------------

EDITS = {
    "README.txt": replace_text("Evidence pack", "Evidence bundle"),
    "incident.json": replace_text('"customers_affected": 1200', '"customers_affected": 12'),
    "decision-log.jsonl": replace_text("Roll back to v41", "Raise the threshold"),
    "chain-verification.json": replace_text('"entries": ', '"entries": 1'),
    "checkpoints.json": replace_text('"sequence": ', '"sequence": 1'),
    "updates.json": replace_text("Service restored", "Service degraded"),
    REGULATOR_MD: replace_text("EU only.", "EU and UK."),
    "review.json": replace_text('"audience": "regulator"', '"audience": "regulator" '),
    "review/regulator.md": replace_text("Post-incident disclosure", "Disclosure"),
}


@pytest.mark.parametrize("path", sorted(EDITS))
def test_a_changed_file_no_longer_matches_the_manifest(tmp_path, pack, signing_key, path):
    out = refused(tmp_path, rewrite(pack, {path: EDITS[path]}), signing_key)
    assert f"{path}: SHA-256 is" in out and "(the file was changed)" in out


@pytest.mark.parametrize("path", sorted(EDITS))
def test_a_changed_file_with_a_fixed_manifest_breaks_the_signature(
    tmp_path, pack, signing_key, path
):
    out = refused(tmp_path, rewrite(pack, {path: EDITS[path]}, rehash=True), signing_key)
    assert "manifest.sig: the signature does not match manifest.json" in out


def test_a_changed_manifest_breaks_the_signature(tmp_path, pack, signing_key):
    edited = rewrite(
        pack, {"manifest.json": replace_text('"generated_by": "Cara', '"generated_by": "Carl')}
    )
    out = refused(tmp_path, edited, signing_key)
    assert "manifest.sig: the signature does not match manifest.json" in out


def test_a_stripped_signature_is_caught_when_a_key_is_given(tmp_path, pack, signing_key):
    out = refused(tmp_path, rewrite(pack, {}, strip_signature=True), signing_key)
    assert "the manifest is not signed, but a public key was given" in out


def test_a_forged_signature_is_caught(tmp_path, pack, signing_key):
    out = refused(tmp_path, rewrite(pack, {"manifest.sig": b"AAAA\n"}), signing_key)
    assert "manifest.sig: the signature does not match manifest.json" in out


def test_added_and_removed_files_are_named(tmp_path, pack, signing_key):
    out = refused(tmp_path, rewrite(pack, {"review.json": None, "extra.txt": b"x"}), signing_key)
    assert "review.json is listed in the manifest but missing" in out
    assert "extra.txt is in the pack but not in the manifest" in out


# Without the signature (a pack whose manifest an attacker re-wrote and un-signed, checked
# without a key), the contents still vouch for each other.
DEEP = {
    "decision-log.jsonl": "content does not match its hash (the entry was altered)",
    "chain-verification.json": "chain-verification.json says 1",
    "updates.json": "its summary differs from the one the log recorded at publication",
    REGULATOR_MD: f"{REGULATOR_MD} does not match its rendition in updates.json",
    "review/regulator.md": "review/regulator.md does not match review.json",
}


@pytest.mark.parametrize("path", sorted(DEEP))
def test_unsigned_contents_still_vouch_for_each_other(tmp_path, pack, path):
    out = refused(tmp_path, rewrite(pack, {path: EDITS[path]}, rehash=True, strip_signature=True))
    assert DEEP[path] in out


def _rewritten_log(content: bytes) -> bytes:
    """Alter entry #3 and recompute every hash after it: a consistent, different chain."""
    prev, out = None, []
    for text in content.decode().splitlines():
        line = json.loads(text)
        if line["sequence"] == 3:
            line["summary"] = "Nothing was decided"
        if prev is not None:
            line["prev_hash"] = prev
        body = {k: v for k, v in line.items() if k not in ("prev_hash", "hash")}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        line["hash"] = hashlib.sha256((line["prev_hash"] + canonical).encode()).hexdigest()
        prev = line["hash"]
        out.append(json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    return ("\n".join(out) + "\n").encode()


def test_a_recomputed_chain_no_longer_reaches_its_signed_checkpoint(tmp_path, pack, signing_key):
    edited = rewrite(
        pack, {"decision-log.jsonl": _rewritten_log}, rehash=True, strip_signature=True
    )
    out = refused(tmp_path, edited)
    assert "checkpoints.json: checkpoint 1" in out and "signs hash" in out
    assert "decision-log.jsonl has" in out  # the manifest's head no longer matches either


def test_a_forged_checkpoint_signature_is_caught(tmp_path, pack, signing_key):
    def forge(content: bytes) -> bytes:
        checkpoints = json.loads(content)
        checkpoints[0]["signature"] = "A" * 86 + "=="
        return json.dumps(checkpoints).encode()

    out = refused(
        tmp_path,
        rewrite(pack, {"checkpoints.json": forge}, rehash=True, strip_signature=True),
        signing_key,
    )
    assert "checkpoint 1 (entry #" in out and "the signature does not verify" in out


# --- Hostile files --------------------------------------------------------------------------


def _unreadable(tmp_path, data: bytes) -> str:
    with pytest.raises(CommandError) as caught:
        verify(tmp_path, data)
    assert caught.value.returncode == 2
    return str(caught.value)


def test_a_file_that_is_not_a_zip_is_refused_plainly(tmp_path):
    assert "not a ZIP file" in _unreadable(tmp_path, b"%PDF-1.7 not a pack")


def test_a_zip_with_a_path_outside_the_pack_is_refused(tmp_path, pack):
    assert "unsafe file name in the ZIP: '../../etc/cron.d/x'" in _unreadable(
        tmp_path, rewrite(pack, {"../../etc/cron.d/x": b"* * * * * root sh"})
    )


def test_a_zip_without_a_manifest_is_not_a_pack(tmp_path, pack):
    assert "no manifest.json" in _unreadable(tmp_path, rewrite(pack, {"manifest.json": None}))


def test_a_bad_public_key_is_named(tmp_path, pack):
    with pytest.raises(CommandError) as caught:
        verify(tmp_path, pack, "not-a-key")
    assert caught.value.returncode == 2 and "--public-key" in str(caught.value)


# --- Cost and rights ------------------------------------------------------------------------


def test_building_a_pack_runs_a_fixed_number_of_queries(handed_over, commander, clock):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            build_pack(incident=handed_over, by=commander)
        return len(queries)

    before = count()
    for n in range(5):
        clock.advance(minutes=1)
        add_note(incident=handed_over, by=commander, text=f"Note {n}")
    assert count() == before


def test_executives_and_regulator_viewers_get_no_pack_and_nothing_is_recorded(
    handed_over, executive, regulator
):
    for user in (executive, regulator):
        response = token_client(user).get(f"/api/v1/incidents/{handed_over.pk}/evidence/")
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.EVIDENCE_EXPORTED).exists()


def test_the_regulator_liaison_may_export_but_a_plain_responder_may_not(
    incident, commander, liaison
):
    from incidents.choices import Role
    from incidents.services import assign_role

    url = f"/api/v1/incidents/{incident.pk}/evidence/"
    assert token_client(liaison).get(url).status_code == 403
    assign_role(incident=incident, role=Role.REGULATOR, user=liaison, by=commander)
    response = token_client(liaison).get(url)
    assert response.status_code == 200 and "decision-log.jsonl" in members(response.content)


def test_the_incident_page_offers_the_pack_only_to_those_who_may_take_it(
    incident, client, commander, executive
):
    url = f"/incidents/{incident.pk}/"
    link = f'href="/api/v1/incidents/{incident.pk}/evidence/"'
    client.force_login(commander)
    assert link in client.get(url).content.decode()
    client.force_login(executive)
    page = client.get(url)
    assert page.status_code == 200 and link not in page.content.decode()


# --- Obligations ------------------------------------------------------------------------------


@pytest.fixture
def with_submission(clock, incident, commander, liaison, signing_key):
    """An open incident whose GDPR notification was drafted, signed off and submitted."""
    from incidents.choices import Role
    from incidents.services import assign_role
    from regulatory import services as regulatory
    from regulatory.models import Obligation

    assign_role(incident=incident, role=Role.REGULATOR, user=liaison, by=commander)
    regulatory.triage(
        incident=incident,
        by=liaison,
        regime="gdpr-art33",
        answers={"personal_data_breach": True, "risk_to_individuals": True},
    )
    obligation = Obligation.objects.get(incident=incident)
    regulatory.edit_report(obligation=obligation, by=liaison, fields={"contact": "dpo@bank.test"})
    regulatory.sign_off_report(obligation=obligation, by=commander)
    clock.advance(seconds=1, microseconds=123456)  # microseconds survive into the pack
    regulatory.submit_report(
        obligation=obligation, by=liaison, channel="CNIL portal", authority_reference="C-1"
    )
    checkpoint_logs()
    return incident


def test_the_pack_holds_the_obligations_and_their_submissions(
    tmp_path, with_submission, commander, signing_key
):
    data = token_client(commander).get(f"/api/v1/incidents/{with_submission.pk}/evidence/").content
    obligations = json.loads(members(data)["obligations.json"])
    assert [(o["regime"], o["outcome"], o["submission"]["channel"]) for o in obligations] == [
        ("gdpr-art33", "met", "CNIL portal")
    ]
    assert obligations[0]["report_fields"]["contact"] == "dpo@bank.test"
    out = verify(tmp_path, data, signing_key)
    assert "obligations: 1, 1 submissions against the log" in out and "verified." in out


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            replace_text('"authority_reference": "C-1"', '"authority_reference": "C-2"'),
            "authority_reference 'C-2', the log says 'C-1'",
        ),
        (
            replace_text('"contact": "dpo@bank.test"', '"contact": "nobody"'),
            "not the ones the log recorded",
        ),
        (
            replace_text('"channel": "CNIL portal"', '"channel": "post"'),
            "channel 'post', the log says 'CNIL portal'",
        ),
    ],
)
def test_a_changed_submission_is_caught_against_the_log(
    tmp_path, with_submission, commander, edit, message
):
    data = token_client(commander).get(f"/api/v1/incidents/{with_submission.pk}/evidence/").content
    out = refused(
        tmp_path, rewrite(data, {"obligations.json": edit}, rehash=True, strip_signature=True)
    )
    assert message in out
