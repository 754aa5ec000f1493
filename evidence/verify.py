"""Check an evidence pack offline: nothing but the ZIP and the public keys given.

1. The ZIP itself: readable, within size limits, plain relative names, no duplicates.
2. The manifest: every listed file present with its SHA-256 and size; nothing unlisted.
3. The manifest's Ed25519 signature, with a key given (a pack made without a key is
   unsigned: fine without keys, a problem when a key is given, since anyone could
   strip a signature).
4. The decision log recomputed link by link from decision-log.jsonl; the manifest's
   and chain-verification.json's head and count must be what the lines give.
5. Each checkpoint's signature (given keys) and its head hash against the log.
6. updates.json against the log's "update published" entries (hash, audiences,
   summaries), and each renditions/*.md rebuilt from updates.json; the review's
   Markdown rebuilt from review.json; obligations.json's submissions against the log.

Every problem is reported, not only the first, each naming the file and what differs.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence.pack import (
    FORMAT,
    MANIFEST,
    SIGNATURE,
    SIGNATURE_CONTEXT,
    VERSION,
    rendition_markdown,
    rendition_path,
)
from incidents.decision_log.models import GENESIS_HASH, entry_hash, signed_checkpoint_message
from incidents.decision_log.signing import signature_is_valid
from learning.markdown import to_markdown
from regulatory.services import fields_digest

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024

Keys = dict[str, Ed25519PublicKey]


class EvidenceUnreadable(Exception):
    """The file is not an evidence pack we can read at all (the message says why)."""


@dataclass
class EvidenceReport:
    reference: str = ""
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        self.problems.append(text)


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not (
        name.startswith("/") or "\\" in name or any(part in ("", "..", ".") for part in path.parts)
    )


def read_members(source: str | IO[bytes]) -> dict[str, bytes]:
    """Return the pack's files by name; raise EvidenceUnreadable for anything odd."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise EvidenceUnreadable(f"not a ZIP file: {exc}") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise EvidenceUnreadable(f"{len(infos)} files in the ZIP (at most {MAX_MEMBERS})")
        total = 0
        members: dict[str, bytes] = {}
        for info in infos:
            if info.is_dir():
                continue
            if not _safe_name(info.filename):
                raise EvidenceUnreadable(f"unsafe file name in the ZIP: {info.filename!r}")
            if info.filename in members:
                raise EvidenceUnreadable(f"{info.filename} appears twice in the ZIP")
            total += info.file_size
            if info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                raise EvidenceUnreadable(f"{info.filename}: the ZIP unpacks to too many bytes")
            try:
                members[info.filename] = archive.read(info)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                raise EvidenceUnreadable(f"{info.filename} cannot be read: {exc}") from None
    return members


def _json(members: dict[str, bytes], name: str, report: EvidenceReport) -> Any:
    try:
        return json.loads(members[name])
    except KeyError:
        return None
    except (ValueError, UnicodeDecodeError) as exc:
        report.problem(f"{name} is not valid JSON: {exc}")
        return None


def _check_manifest(members: dict[str, bytes], report: EvidenceReport) -> dict[str, Any]:
    if MANIFEST not in members:
        raise EvidenceUnreadable("no manifest.json in the ZIP: not an evidence pack")
    try:
        manifest = json.loads(members[MANIFEST])
    except (ValueError, UnicodeDecodeError) as exc:
        raise EvidenceUnreadable(f"manifest.json is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise EvidenceUnreadable(f"manifest.json does not describe an {FORMAT}")
    if manifest.get("version") != VERSION:
        raise EvidenceUnreadable(
            f"manifest.json is version {manifest.get('version')!r}; this verifier reads {VERSION}"
        )
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
        isinstance(f, dict) and {"path", "sha256", "bytes"} <= f.keys() for f in files
    ):
        raise EvidenceUnreadable("manifest.json: `files` must list {path, sha256, bytes}")
    incident = manifest.get("incident") or {}
    report.reference = str(incident.get("reference", ""))
    listed = set()
    for entry in files:
        path = entry["path"]
        listed.add(path)
        data = members.get(path)
        if data is None:
            report.problem(f"{path} is listed in the manifest but missing from the pack")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            report.problem(
                f"{path}: SHA-256 is {digest}, the manifest says {entry['sha256']} (the file was changed)"
            )
        elif len(data) != entry["bytes"]:
            report.problem(f"{path}: {len(data)} bytes, the manifest says {entry['bytes']}")
    for path in sorted(set(members) - listed - {MANIFEST, SIGNATURE}):
        report.problem(f"{path} is in the pack but not in the manifest (a file was added)")
    report.checked.append(f"manifest: {len(files)} files and their SHA-256 digests")
    return manifest


def _check_signature(
    members: dict[str, bytes], manifest: dict[str, Any], keys: Keys, report: EvidenceReport
) -> None:
    signing = manifest.get("signing")
    signature = members.get(SIGNATURE)
    if not signing:
        if signature is not None:
            report.problem("manifest.sig is present but manifest.json names no signing key")
        elif keys:
            report.problem(
                "the manifest is not signed, but a public key was given: a pack made with a "
                "signing key carries manifest.sig (was it removed?)"
            )
        else:
            report.not_checked.append("manifest signature: the pack is not signed")
        return
    key_id = str(signing.get("key_id", ""))
    if signature is None:
        report.problem(f"manifest.json names signing key {key_id} but manifest.sig is missing")
        return
    if not keys:
        report.not_checked.append(
            f"manifest signature (key {key_id}): no --public-key given, so not verified"
        )
        return
    key = keys.get(key_id)
    if key is None:
        report.problem(f"manifest.sig: signed by key {key_id}, which is not among the keys given")
    elif not signature_is_valid(
        key, signature.decode("ascii", "replace").strip(), SIGNATURE_CONTEXT + members[MANIFEST]
    ):
        report.problem("manifest.sig: the signature does not match manifest.json")
    else:
        report.checked.append(f"manifest signature (key {key_id})")


def _check_log(
    members: dict[str, bytes], manifest: dict[str, Any], report: EvidenceReport
) -> dict[int, dict[str, Any]]:
    """Recompute the chain; return the entries by sequence (empty when unreadable)."""
    raw = members.get("decision-log.jsonl")
    if raw is None:
        report.problem("decision-log.jsonl is missing")
        return {}
    incident = manifest.get("incident") or {}
    incident_id = incident.get("id")
    # An imported log's entries name the incident id they were written under (manifest "log_ids").
    listed = incident.get("log_ids")
    log_ids: list[Any] = listed if isinstance(listed, list) else []
    entries: dict[int, dict[str, Any]] = {}
    expected_prev, expected_seq, broken = GENESIS_HASH, 1, False
    for number, text in enumerate(raw.decode("utf-8", "replace").splitlines(), 1):
        try:
            line = json.loads(text)
            sequence = int(line["sequence"])
        except (ValueError, KeyError, TypeError):
            report.problem(f"decision-log.jsonl line {number} is not a log entry")
            broken = True
            break
        entries[sequence] = line
        where = f"decision-log.jsonl entry #{sequence} (line {number})"
        if line.get("incident") != incident_id and line.get("incident") not in log_ids:
            report.problem(f"{where} belongs to incident {line.get('incident')}, not {incident_id}")
            broken = True
        if sequence != expected_seq:
            report.problem(f"{where}: expected entry #{expected_seq} (an entry is missing)")
            broken = True
        elif line.get("prev_hash") != expected_prev:
            report.problem(f"{where}: prev_hash does not match the entry before it")
            broken = True
        elif entry_hash(
            str(line.get("prev_hash", "")),
            {k: v for k, v in line.items() if k not in ("prev_hash", "hash")},
        ) != line.get("hash"):
            report.problem(f"{where}: the content does not match its hash (the entry was altered)")
            broken = True
        if broken:
            break
        expected_prev, expected_seq = str(line["hash"]), sequence + 1
    if broken:
        return entries
    count, head = len(entries), expected_prev
    log = manifest.get("log") or {}
    if log.get("entries") != count or log.get("head") != head:
        report.problem(
            f"manifest.json says the log has {log.get('entries')} entries with head "
            f"{log.get('head')}; decision-log.jsonl has {count} with head {head}"
        )
    result = _json(members, "chain-verification.json", report)
    if isinstance(result, dict):
        if result.get("entries") != count or result.get("head") != head:
            report.problem(
                f"chain-verification.json says {result.get('entries')} entries with head "
                f"{result.get('head')}; decision-log.jsonl has {count} with head {head}"
            )
        if result.get("valid") is not True:
            report.problem(
                "chain-verification.json: the console found the chain not intact when the pack "
                f"was made: {result.get('detail')}"
            )
    elif result is None and "chain-verification.json" not in members:
        report.problem("chain-verification.json is missing")
    report.checked.append(f"decision log: {count} entries, hash chain recomputed, head {head[:12]}")
    return entries


def _check_checkpoints(
    members: dict[str, bytes],
    entries: dict[int, dict[str, Any]],
    keys: Keys,
    report: EvidenceReport,
) -> None:
    checkpoints = _json(members, "checkpoints.json", report)
    if checkpoints is None:
        if "checkpoints.json" not in members:
            report.problem("checkpoints.json is missing")
        return
    if not isinstance(checkpoints, list):
        report.problem("checkpoints.json must be a list")
        return
    if not checkpoints:
        report.not_checked.append("checkpoints: the log has no signed checkpoint")
        return
    verified = 0
    for number, c in enumerate(checkpoints, 1):
        try:
            sequence, head_hash, key_id = int(c["sequence"]), str(c["head_hash"]), str(c["key_id"])
            message = signed_checkpoint_message(
                incident_id=int(c["incident"]),
                sequence=sequence,
                head_hash=head_hash,
                signed_at=datetime.fromisoformat(c["signed_at"]),
                key_id=key_id,
            )
        except (KeyError, TypeError, ValueError):
            report.problem(f"checkpoints.json: checkpoint {number} is not a checkpoint")
            continue
        where = f"checkpoints.json: checkpoint {number} (entry #{sequence})"
        entry = entries.get(sequence)
        if entry is None or entry.get("hash") != head_hash:
            report.problem(
                f"{where} signs hash {head_hash}; the log in this pack has "
                f"{entry.get('hash') if entry else 'no such entry'} there"
            )
        if not keys:
            continue
        key = keys.get(key_id)
        if key is None:
            report.problem(f"{where}: signed by key {key_id}, which is not among the keys given")
        elif not signature_is_valid(key, str(c.get("signature", "")), message):
            report.problem(f"{where}: the signature does not verify")
        else:
            verified += 1
    if keys:
        report.checked.append(f"checkpoints: {verified} of {len(checkpoints)} signatures verified")
    else:
        report.not_checked.append(
            f"checkpoint signatures ({len(checkpoints)}): no --public-key given"
        )


def _check_updates(
    members: dict[str, bytes],
    manifest: dict[str, Any],
    entries: dict[int, dict[str, Any]],
    report: EvidenceReport,
) -> None:
    updates = _json(members, "updates.json", report)
    if not isinstance(updates, list):
        if "updates.json" not in members:
            report.problem("updates.json is missing")
        return
    reference = report.reference
    expected_files = set()
    for update in updates:
        try:
            number = int(update["number"])
            renditions = list(update["renditions"])
        except (KeyError, TypeError, ValueError):
            report.problem("updates.json: an update without number or renditions")
            continue
        where = f"updates.json: update {number}"
        entry = entries.get(update.get("log_sequence") or 0)
        data = (entry or {}).get("data") or {}
        if entry is None or entry.get("hash") != update.get("log_hash"):
            report.problem(
                f"{where}: its publication entry #{update.get('log_sequence')} is not in the log"
            )
        elif entry.get("kind") != "update_published" or data.get("update") != number:
            report.problem(f"{where}: log entry #{entry.get('sequence')} does not publish it")
        else:
            summaries = data.get("summaries") or {}
            audiences = sorted(str(r.get("audience")) for r in renditions)
            if audiences != sorted(data.get("audiences") or []):
                report.problem(
                    f"{where}: renditions for {audiences}; the log published {data.get('audiences')}"
                )
            for rendition in renditions:
                audience = rendition.get("audience")
                if summaries.get(audience) != rendition.get("summary"):
                    report.problem(
                        f"{where}, {audience} rendition: its summary differs from the one the "
                        f"log recorded at publication (entry #{entry.get('sequence')})"
                    )
        for rendition in renditions:
            path = rendition_path(number, str(rendition.get("audience")))
            expected_files.add(path)
            try:
                text = rendition_markdown(reference, update, rendition).encode()
            except (KeyError, TypeError):
                report.problem(f"{where}: a rendition without audience, summary or sign-off")
                continue
            if members.get(path) != text:
                report.problem(f"{path} does not match its rendition in updates.json")
    for path in sorted(p for p in members if p.startswith("renditions/")):
        if path not in expected_files:
            report.problem(f"{path} is not a rendition of updates.json")
    report.checked.append(
        f"updates: {len(updates)} published updates against the log and their renditions"
    )


def _check_review(members: dict[str, bytes], report: EvidenceReport) -> None:
    if "review.json" not in members:
        return
    review = _json(members, "review.json", report)
    if not isinstance(review, dict):
        return
    for audience, rendition in review.items():
        path = f"review/{audience}.md"
        try:
            text = to_markdown(rendition).encode()
        except (KeyError, TypeError, ValueError):
            report.problem(f"review.json: the {audience} rendition is incomplete")
            continue
        if members.get(path) != text:
            report.problem(f"{path} does not match review.json")
    for path in sorted(p for p in members if p.startswith("review/")):
        if path.removeprefix("review/").removesuffix(".md") not in review:
            report.problem(f"{path} is not a rendition of review.json")
    report.checked.append("review: each rendition against review.json")


def _check_obligations(
    members: dict[str, bytes], entries: dict[int, dict[str, Any]], report: EvidenceReport
) -> None:
    """Each recorded submission must be in the log: same time, channel, reference and fields."""
    if "obligations.json" not in members:
        return
    obligations = _json(members, "obligations.json", report)
    if not isinstance(obligations, list):
        return
    recorded = {
        (e.get("data") or {}).get("obligation"): e.get("data") or {}
        for e in entries.values()
        if e.get("kind") == "regulatory" and "submitted_at" in (e.get("data") or {})
    }
    submitted = 0
    for obligation in obligations:
        submission = obligation.get("submission") if isinstance(obligation, dict) else None
        if not submission:
            continue
        submitted += 1
        where = f"obligations.json: {obligation.get('title')}"
        data = recorded.get(obligation.get("id"))
        if data is None:
            report.problem(f"{where}: its submission is not in the decision log")
            continue
        logged = datetime.fromisoformat(data["submitted_at"])
        stated = submission.get("submitted_at")
        if stated is None or datetime.fromisoformat(str(stated).replace("Z", "+00:00")) != logged:
            report.problem(f"{where}: submitted at {stated}, the log says {data['submitted_at']}")
        for key in ("channel", "authority_reference"):
            if submission.get(key) != data.get(key):
                report.problem(
                    f"{where}: {key} {submission.get(key)!r}, the log says {data.get(key)!r}"
                )
        if fields_digest(obligation.get("report_fields") or {}) != data.get("fields_sha256"):
            report.problem(
                f"{where}: the report's fields are not the ones the log recorded as submitted"
            )
    report.checked.append(
        f"obligations: {len(obligations)}, {submitted} submissions against the log"
    )


def _check_incident(
    members: dict[str, bytes], manifest: dict[str, Any], report: EvidenceReport
) -> None:
    incident = _json(members, "incident.json", report)
    if incident is None:
        if "incident.json" not in members:
            report.problem("incident.json is missing")
        return
    expected = manifest.get("incident") or {}
    if not isinstance(incident, dict) or incident.get("id") != expected.get("id"):
        report.problem("incident.json describes another incident than manifest.json")


def verify_pack(source: str | IO[bytes], *, keys: Keys | None = None) -> EvidenceReport:
    """Check the pack at `source`; raise EvidenceUnreadable when it is not one at all."""
    keys = keys or {}
    members = read_members(source)
    report = EvidenceReport()
    manifest = _check_manifest(members, report)
    _check_signature(members, manifest, keys, report)
    _check_incident(members, manifest, report)
    entries = _check_log(members, manifest, report)
    _check_checkpoints(members, entries, keys, report)
    _check_updates(members, manifest, entries, report)
    _check_review(members, report)
    _check_obligations(members, entries, report)
    return report
