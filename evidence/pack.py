"""Build one incident's evidence pack: a ZIP with a manifest of SHA-256 digests.

What goes in (docs/regulatory.md, "Evidence packs"):

    README.txt                  what this is and how to check it
    manifest.json               format, incident, time, and the SHA-256 and size of every other file
    manifest.sig                Ed25519 signature of manifest.json (when a log signing key is set)
    incident.json               the incident's facts, roles and affected models
    decision-log.jsonl          every log entry: its hashed content, prev_hash and hash
    chain-verification.json     what the console's verification said when the pack was made
    checkpoints.json            the signed checkpoints of the log's heads
    updates.json                every published update: renditions, sign-offs, publication
    renditions/update-NNN-AUDIENCE.md   each published rendition, readable
    obligations.json            the regulatory obligations and their submissions (when any)
    review.json, review/AUDIENCE.md     the post-incident review, when published

Everything is read in a fixed number of queries and written in a fixed order, so
two packs of an unchanged incident differ only in `generated_at`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from comms.models import StatusUpdate
from incidents.choices import Audience
from incidents.decision_log.chain import actor_label_for
from incidents.decision_log.checkpoints import verify_log
from incidents.decision_log.models import DecisionLogEntry, LogCheckpoint, stamp
from incidents.decision_log.signing import configured_signer, trusted_public_keys
from incidents.models import Incident, RoleAssignment
from learning.markdown import to_markdown
from learning.models import Review
from learning.reviews.renditions import rendition_of
from learning.reviews.vocabulary import AUDIENCES
from regulatory.models import RegulatoryReport
from regulatory.services import obligations_for

FORMAT = "icc-evidence-pack"
VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
# What a manifest signature covers: this prefix, then the manifest's bytes.
SIGNATURE_CONTEXT = b"icc-evidence-manifest:v1\n"


def dump_json(data: Any) -> bytes:
    return (
        json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    ).encode()


def _exact_times(value: Any) -> Any:
    """Times with their microseconds, as the log writes them (JSON encoders keep milliseconds)."""
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, dict):
        return {k: _exact_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact_times(v) for v in value]
    return value


def log_line(entry: DecisionLogEntry) -> str:
    """One line of decision-log.jsonl: the hashed content, then prev_hash and hash."""
    return json.dumps(
        {**entry.canonical(), "prev_hash": entry.prev_hash, "hash": entry.hash},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def rendition_markdown(reference: str, update: dict[str, Any], rendition: dict[str, Any]) -> str:
    """The readable copy of one published rendition (verify.py rebuilds it to compare)."""
    audience = rendition["audience"]
    label = dict(Audience.choices).get(audience, audience)
    signed = (
        f"Signed off {rendition['signed_off_at']} by {rendition['signed_off_by']}"
        if rendition["signed_off_at"]
        else "Not signed off (not required for this audience)"
    )
    lines = [
        f"# {reference}, update {update['number']}: {label}",
        "",
        f"Published {update['published_at']} by {update['published_by']}",
        signed,
        f"Decision-log entry #{update['log_sequence']} ({update['log_hash']})",
        "",
        "## Summary",
        "",
        rendition["summary"],
    ]
    if rendition["body"]:
        lines += ["", "## Detail", "", rendition["body"]]
    return "\n".join(lines) + "\n"


def rendition_path(number: int, audience: str) -> str:
    return f"renditions/update-{number:03d}-{audience}.md"


README = """Evidence pack of {reference}: {title}
Made by the Incident Command Console on {generated_at} for {generated_by}.

manifest.json lists every other file of this pack with its SHA-256 digest and size.
manifest.sig, when present, is an Ed25519 signature of "icc-evidence-manifest:v1\\n"
followed by the bytes of manifest.json, made with the key named in manifest.json.

decision-log.jsonl holds one JSON object per log entry. Remove "prev_hash" and "hash",
write the rest as JSON with sorted keys, no spaces and UTF-8 text: then
hash = sha256(prev_hash + that JSON), and each entry's prev_hash is the hash of the
entry before it ("0" x 64 for the first). checkpoints.json holds signed statements
"entry #n had hash h"; each signature covers the text
"icc-log-checkpoint:v1\\n<incident>\\n<sequence>\\n<head_hash>\\n<signed_at>\\n<key_id>".

To check all of it offline:

    python manage.py verify_evidence THIS.zip --public-key <base64 Ed25519 public key>

(the console's operators print the key with `manage.py log_signing_public_key`).
"""


@dataclass
class PackFile:
    path: str
    data: bytes


@dataclass
class Pack:
    incident: Incident
    generated_at: datetime
    generated_by: str
    files: list[PackFile] = field(default_factory=list)
    manifest: bytes = b""
    signature: str | None = None

    def add(self, path: str, data: bytes) -> None:
        self.files.append(PackFile(path, data))

    @property
    def filename(self) -> str:
        return f"{self.incident.reference}-evidence-{self.generated_at:%Y%m%dT%H%M%SZ}.zip"

    @property
    def manifest_sha256(self) -> str:
        return hashlib.sha256(self.manifest).hexdigest()

    def to_zip(self) -> bytes:
        buffer = io.BytesIO()
        when = self.generated_at.astimezone(UTC).timetuple()[:6]
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            entries = [*self.files, PackFile(MANIFEST, self.manifest)]
            if self.signature is not None:
                entries.append(PackFile(SIGNATURE, (self.signature + "\n").encode()))
            for item in entries:
                info = zipfile.ZipInfo(item.path, date_time=when)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, item.data)
        return buffer.getvalue()


def _incident_facts(incident: Incident) -> dict[str, Any]:
    roles = (
        RoleAssignment.objects.filter(incident=incident)
        .select_related("user")
        .order_by("started_at", "pk")
    )
    return {
        "id": incident.pk,
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity_label,
        "phase": incident.phase,
        "is_drill": incident.is_drill,
        "detected_at": stamp(incident.detected_at),
        "declared_at": stamp(incident.declared_at),
        "resolved_at": stamp(incident.resolved_at),
        "scope": incident.scope,
        "summary": incident.summary,
        "customers_affected": incident.customers_affected,
        "revenue_at_risk_per_hour": str(incident.revenue_at_risk_per_hour),
        "regulatory_exposure": incident.regulatory_exposure,
        "regulatory_notes": incident.regulatory_notes,
        "customer_experience": incident.customer_experience,
        "affected_models": [
            {"name": m.name, "slug": m.slug, "version": m.current_version}
            for m in incident.affected_models.order_by("name")
        ],
        "roles": [
            {
                "role": r.role,
                "held_by": actor_label_for(r.user),
                "started_at": stamp(r.started_at),
                "ended_at": stamp(r.ended_at),
            }
            for r in roles
        ],
    }


def _updates(incident: Incident) -> list[dict[str, Any]]:
    updates = (
        StatusUpdate.objects.filter(incident=incident, status=StatusUpdate.Status.PUBLISHED)
        .select_related("published_by", "author", "corrects", "log_entry")
        .prefetch_related("renditions__signed_off_by")
        .order_by("number")
    )
    out = []
    for update in updates:
        entry = update.log_entry
        out.append(
            {
                "number": update.number,
                "published_at": stamp(update.published_at),
                "published_by": actor_label_for(update.published_by, "unknown"),
                "author": actor_label_for(update.author, "unknown"),
                "corrects": update.corrects.number if update.corrects else None,
                "next_update_at": stamp(update.next_update_at),
                "log_sequence": entry.sequence if entry else None,
                "log_hash": entry.hash if entry else None,
                "what_changed": update.what_changed,
                "uncertain": update.uncertain,
                "decisions_pending": update.decisions_pending,
                "actions_in_progress": update.actions_in_progress,
                "current_impact": update.current_impact,
                "renditions": [
                    {
                        "audience": r.audience,
                        "summary": r.summary,
                        "body": r.body,
                        "signed_off_by": actor_label_for(r.signed_off_by)
                        if r.signed_off_by_id
                        else None,
                        "signed_off_at": stamp(r.signed_off_at),
                    }
                    for r in sorted(update.renditions.all(), key=lambda r: r.audience)
                ],
            }
        )
    return out


def build_pack(*, incident: Incident, by: Any, now: datetime | None = None) -> Pack:
    """Read the incident's record and return the pack (not yet zipped)."""
    now = now or timezone.now()
    pack = Pack(incident=incident, generated_at=now, generated_by=actor_label_for(by))
    reference = incident.reference
    pack.add(
        "README.txt",
        README.format(
            reference=reference,
            title=incident.title,
            generated_at=stamp(now),
            generated_by=pack.generated_by,
        ).encode(),
    )
    pack.add("incident.json", dump_json(_incident_facts(incident)))

    entries = DecisionLogEntry.objects.filter(incident=incident).order_by("sequence")
    lines: list[str] = []
    moved_from: set[int] = set()
    for entry in entries.iterator():
        lines.append(log_line(entry))
        moved_from.add(entry.hashed_ids()["incident"])
    moved_from.discard(incident.pk)
    pack.add("decision-log.jsonl", "".join(line + "\n" for line in lines).encode())

    keys = trusted_public_keys()
    report = verify_log(incident.pk, keys=keys)
    pack.add("chain-verification.json", dump_json({**report.as_dict(), "checked_at": stamp(now)}))
    checkpoints = LogCheckpoint.objects.filter(incident=incident).order_by("sequence", "pk")
    pack.add(
        "checkpoints.json",
        dump_json(
            [
                {
                    "incident": c.log_incident_id,
                    "sequence": c.sequence,
                    "head_hash": c.head_hash,
                    "signed_at": stamp(c.signed_at),
                    "key_id": c.key_id,
                    "signature": c.signature,
                }
                for c in checkpoints
            ]
        ),
    )

    updates = _updates(incident)
    pack.add("updates.json", dump_json(updates))
    for update in updates:
        for rendition in update["renditions"]:
            pack.add(
                rendition_path(update["number"], rendition["audience"]),
                rendition_markdown(reference, update, rendition).encode(),
            )

    obligations = obligations_for(incident, now=now)
    if obligations:
        fields = dict(
            RegulatoryReport.objects.filter(obligation__incident=incident).values_list(
                "obligation_id", "fields"
            )
        )
        for obligation in obligations:
            obligation["report_fields"] = fields.get(obligation["id"])
        pack.add("obligations.json", dump_json(_exact_times(obligations)))

    review = (
        Review.objects.filter(incident=incident, status=Review.Status.PUBLISHED)
        .select_related("incident", "published_by", "regulator_signed_off_by", "created_by")
        .first()
    )
    if review is not None:
        data = dump_json(
            {audience: rendition_of(review, audience, now=now) for audience in AUDIENCES}
        )
        pack.add("review.json", data)
        # The readable copies come from the JSON as written, so a verifier can rebuild them.
        for audience, rendition in json.loads(data).items():
            pack.add(f"review/{audience}.md", to_markdown(rendition).encode())

    signer = configured_signer()
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        # A log imported from another installation hashes that installation's incident id.
        "incident": {"id": incident.pk, "reference": reference}
        | ({"log_ids": sorted(moved_from)} if moved_from else {}),
        "generated_at": stamp(now),
        "generated_by": pack.generated_by,
        "log": {"entries": len(lines), "head": report.head},
        "signing": {"algorithm": "Ed25519", "key_id": signer.key_id} if signer else None,
        "files": [
            {"path": f.path, "sha256": hashlib.sha256(f.data).hexdigest(), "bytes": len(f.data)}
            for f in pack.files
        ],
    }
    pack.manifest = dump_json(manifest)
    if signer is not None:
        pack.signature = signer.sign(SIGNATURE_CONTEXT + pack.manifest)
    return pack
