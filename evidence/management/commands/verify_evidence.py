"""Check an evidence pack offline: manifest, hash chain, signatures, renditions against the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.verify import EvidenceUnreadable, verify_pack
from incidents.decision_log.signing import key_id_for, parse_public_key


class Command(BaseCommand):
    # Reads only the ZIP and the keys given: no database, no settings' keys, no network.
    requires_system_checks: list[str] = []
    help = (
        "Verify an evidence pack (the ZIP of GET /api/v1/incidents/{id}/evidence/) offline; "
        "exit 1 when anything does not match, 2 when the file is not a pack."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pack", help="The evidence pack (.zip).")
        parser.add_argument(
            "--public-key",
            action="append",
            default=[],
            help="A base64 Ed25519 public key to check signatures with (as printed by "
            "`manage.py log_signing_public_key`); repeat for several.",
        )
        parser.add_argument(
            "--public-key-file",
            action="append",
            default=[],
            help="A file holding such keys, one per line.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        texts = list(options["public_key"])
        for name in options["public_key_file"]:
            try:
                texts += [t for t in Path(name).read_text().split() if t]
            except OSError as exc:
                raise CommandError(f"--public-key-file {name}: {exc}", returncode=2) from None
        try:
            keys = {key_id_for(k): k for k in map(parse_public_key, texts)}
        except ImproperlyConfigured as exc:
            raise CommandError(
                str(exc).replace("LOG_TRUSTED_PUBLIC_KEYS", "--public-key"), returncode=2
            ) from None
        path = Path(options["pack"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        try:
            report = verify_pack(str(path), keys=keys)
        except EvidenceUnreadable as exc:
            raise CommandError(f"{path}: {exc}", returncode=2) from None
        name = report.reference or path.name
        for line in report.checked:
            self.stdout.write(f"ok       {line}")
        for line in report.not_checked:
            self.stdout.write(self.style.WARNING(f"skipped  {line}"))
        for line in report.problems:
            self.stdout.write(self.style.ERROR(f"PROBLEM  {line}"))
        if report.problems:
            raise CommandError(
                f"{name}: {len(report.problems)} problem(s); this pack is not what the console made.",
                returncode=1,
            )
        verdict = (
            "verified" if not report.not_checked else "consistent, but not everything was checked"
        )
        self.stdout.write(self.style.SUCCESS(f"{name}: {verdict}."))
