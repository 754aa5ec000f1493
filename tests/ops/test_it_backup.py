"""export_incidents / import_incidents in one database: what a file holds, and every refusal.

The file is exported, then the database is emptied with the test flush (which lifts the
append-only triggers) so the same incidents can come back in. The import into another
installation, and pg_dump/pg_restore, are in test_it_backup_restore.py.
"""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from audit.models import Action, AuditEvent
from evidence.pack import build_pack
from evidence.verify import verify_pack
from incidents.decision_log.checkpoints import verify_log
from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint
from incidents.decision_log.signing import public_key_text
from incidents.models import Incident
from tests.ops.backup_support import (
    build_incident,
    burn_ids,
    counts,
    dump,
    export,
    rewrite_from,
    top_ids,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exported(signer, commander, responder, fraud_model):
    """An export of two incidents with signed logs; the database is empty afterwards."""
    first = build_incident(commander, responder, fraud_model, title="FP surge")
    build_incident(commander, responder, fraud_model, title="Drift")
    assert LogCheckpoint.objects.filter(incident=first).exists()
    objects, used = export(), top_ids()
    call_command("flush", interactive=False, verbosity=0)
    assert counts()["Incident"] == counts()["DecisionLogEntry"] == 0
    burn_ids(used)  # the flush reset the sequences: imported rows must not get their old ids
    return objects


def run_import(objects: list | str, *args: str) -> str:
    """Run import_incidents on stdin (`-`), as `… | manage.py import_incidents -` would."""
    text = objects if isinstance(objects, str) else dump(objects)
    out = io.StringIO()
    old, sys.stdin = sys.stdin, io.StringIO(text)
    try:
        call_command("import_incidents", "-", *args, stdout=out)
    finally:
        sys.stdin = old
    return out.getvalue()


def refused(objects: list | str, *args: str) -> str:
    before = counts()
    with pytest.raises(CommandError, match="Import refused, nothing was imported") as info:
        run_import(objects, *args)
    assert counts() == before
    return str(info.value)


def index_of(objects, kind: str, nth: int = 0) -> int:
    return [i for i, obj in enumerate(objects) if obj["type"] == kind][nth]


def test_a_file_holds_a_header_each_incident_with_its_log_and_an_end(exported, signer):
    header, end = exported[0], exported[-1]
    assert header["format"] == "icc-incidents" and header["version"] == 1
    assert header["public_keys"] == {signer.key_id: public_key_text(signer.public_key)}
    assert end == {"type": "end", "incidents": 2, "lines": len(exported) - 1}
    kinds = [obj["type"] for obj in exported if obj.get("ref") == exported[1]["ref"]]
    assert kinds[0] == "incident" and {"entry", "checkpoint", "role", "milestone", "update"} <= set(
        kinds
    )
    sequences = [
        o["content"]["sequence"]
        for o in exported
        if o["type"] == "entry" and o["ref"] == exported[1]["ref"]
    ]
    assert sequences == list(range(1, len(sequences) + 1))


def test_import_brings_back_every_incident_and_each_log_verifies_against_its_checkpoints(
    exported,
):
    out = run_import(exported)
    assert "Imported 2 incidents; every log verifies." in out
    assert out.count(", intact (matches checkpoint") == 2
    assert "Created inactive placeholder users (no password): cara, remy" in out
    cara = User.objects.get(username="cara")
    assert not cara.is_active and not cara.has_usable_password()
    for incident in Incident.objects.all():
        assert verify_log(incident.pk).status == "intact"
    assert DecisionLogEntry.objects.filter(kind="correction", corrects__isnull=False).count() == 2
    call_command("verify_decision_log")  # raises (exit 1) on any failure
    [event] = AuditEvent.objects.filter(action=Action.INCIDENTS_IMPORTED)
    assert event.details["source"] == exported[0]["site_url"]
    assert sorted(event.details["incidents"].values()) == sorted(
        i.reference for i in Incident.objects.all()
    )
    # Exported again, the file says the same apart from the references and the header.
    again = export()
    refs = {a["ref"]: b["ref"] for a, b in zip(exported[1:-1], again[1:-1], strict=True)}
    assert all(source != here for source, here in refs.items()), refs
    assert all(e.actor_id != e.origin["actor_id"] for e in DecisionLogEntry.objects.all()[:3])
    assert [{**o, "ref": refs[o["ref"]]} if "ref" in o else o for o in exported[1:]] == again[1:]


def test_one_incident_exports_alone(signer, commander, responder, fraud_model):
    build_incident(commander, responder, fraud_model, title="FP surge")
    second = build_incident(commander, responder, fraud_model, title="Drift")
    objects = export("--incident", str(second.pk))
    assert {o["ref"] for o in objects[1:-1]} == {second.reference}
    assert objects[-1]["incidents"] == 1
    [event] = AuditEvent.objects.filter(action=Action.INCIDENTS_EXPORTED)
    assert event.details == {"incidents": [second.pk]} and event.actor_label == "command line"
    with pytest.raises(CommandError, match="No incident with id 999999"):
        export("--incident", "999999")


def test_an_incident_already_here_is_refused(exported):
    run_import(exported)
    message = refused(exported)
    assert f"{exported[1]['ref']} is already on this installation as INC-" in message


def test_an_unknown_format_version_is_refused(exported):
    exported[0]["version"] = 2
    assert "line 1: field 'version': unknown format version 2" in refused(exported)


def test_a_malformed_line_is_refused_by_number(exported):
    lines = dump(exported).splitlines(keepends=True)
    lines[3] = lines[3][:40] + "\n"
    assert "line 4: not valid JSON (" in refused("".join(lines))


def test_a_missing_or_mistyped_field_is_refused_naming_it(exported):
    at = index_of(exported, "entry", 2)
    del exported[at]["hash"]
    assert f"line {at + 1}: field 'hash' is missing" in refused(exported)
    exported[at]["hash"] = "x" * 64
    exported[at]["content"]["recorded_at"] = "yesterday"
    assert f"line {at + 1}: field 'content.recorded_at' must be a timezone-aware" in refused(
        exported
    )


def test_an_altered_entry_is_refused_and_nothing_is_imported(exported):
    at = index_of(exported, "entry", 3)
    exported[at]["content"]["summary"] = "Nothing happened"
    message = refused(exported)
    assert f"line {at + 1}: entry #{exported[at]['content']['sequence']}" in message
    assert "does not match its hash" in message


def test_a_rewritten_chain_fails_its_checkpoint_and_the_import_rolls_back(exported):
    at = index_of(exported, "entry", 1)
    rewrite_from(exported, at, "Nothing happened")
    message = refused(exported)
    assert f"{exported[at]['ref']} does not verify after import: rewritten before checkpoint 1" in (
        message
    )


def test_a_file_on_disk_imports_and_a_missing_one_is_named(exported, tmp_path):
    path = tmp_path / "incidents.jsonl"
    path.write_text(dump(exported), encoding="utf-8")
    out = io.StringIO()
    call_command("import_incidents", str(path), stdout=out)
    assert "Imported 2 incidents" in out.getvalue()
    with pytest.raises(CommandError, match=r"Cannot read .*missing.jsonl: No such file"):
        call_command("import_incidents", str(tmp_path / "missing.jsonl"))


def test_lines_out_of_their_incident_are_refused(exported):
    first_entry, second_incident = index_of(exported, "entry"), index_of(exported, "incident", 1)
    moved = exported.pop(first_entry)
    exported.insert(second_incident, moved)  # now after the second incident's line
    message = refused(exported)
    assert f"line {second_incident + 1}: field 'ref': {moved['ref']} is not the incident" in message


def test_a_truncated_file_is_refused(exported):
    assert "without its 'end' line: it is truncated" in refused(exported[:-1])
    assert "the file is empty" in refused("")
    assert "line" in refused(exported[:-3] + [exported[-1]])


def test_checkpoints_of_a_key_not_trusted_here_are_refused_or_left_out(exported, settings):
    settings.LOG_SIGNING_KEY_FILE = ""
    key_id, public = next(iter(exported[0]["public_keys"].items()))
    message = refused(exported)
    assert f"signed by key {key_id}, which this installation does not trust" in message
    assert f"Add its public key ({public}) to LOG_TRUSTED_PUBLIC_KEYS" in message
    out = run_import(exported, "--without-checkpoints")
    assert out.count(", unsigned (") == 2 and LogCheckpoint.objects.count() == 0


def test_an_imported_incident_s_evidence_pack_verifies(exported, signer):
    run_import(exported)
    incident = Incident.objects.order_by("pk").first()
    source_id = int(exported[1]["ref"].removeprefix("INC-"))
    assert incident.pk != source_id
    pack = build_pack(incident=incident, by=None)
    manifest = json.loads(pack.manifest)
    assert manifest["incident"] == {
        "id": incident.pk,
        "reference": incident.reference,
        "log_ids": [source_id],
    }
    report = verify_pack(io.BytesIO(pack.to_zip()), keys={signer.key_id: signer.public_key})
    assert report.ok, report.problems
    assert any("checkpoint" in line for line in report.checked), report.checked
