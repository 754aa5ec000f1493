"""Hand over an evidence pack: check the right, build it, record who took it."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from audit import services as audit
from audit.models import Action
from evidence.pack import Pack, build_pack
from incidents import rights
from incidents.models import Incident
from kit.errors import NotPermitted


def export_pack(
    *, incident: Incident, by: AbstractBaseUser, now: datetime | None = None
) -> tuple[Pack, bytes]:
    """Return the pack and its ZIP bytes; the audit trail records the export and its digest."""
    if not rights.may_export_evidence(by, incident):
        raise NotPermitted(
            "Only the incident's commander, its regulator liaison or a commander-eligible user "
            "may export its evidence pack."
        )
    pack = build_pack(incident=incident, by=by, now=now)
    data = pack.to_zip()
    audit.record(
        action=Action.EVIDENCE_EXPORTED,
        actor=by,
        obj=incident,
        details={
            "manifest_sha256": pack.manifest_sha256,
            "files": len(pack.files) + 1 + (pack.signature is not None),
            "signed": pack.signature is not None,
            "generated_at": pack.generated_at.isoformat(),
        },
    )
    return pack, data
