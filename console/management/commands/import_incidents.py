"""Read an export of export_incidents; keep it only if every imported log verifies."""

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console.backup.lines import ImportRefused
from console.backup.restore import import_lines
from incidents.decision_log.signing import SigningKeyError


class Command(BaseCommand):
    help = (
        "Import incidents written by export_incidents (a file, or - for stdin) in one transaction; "
        "verify every imported decision log as verify_decision_log does and keep nothing if one fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The JSON Lines file, or - to read stdin.")
        parser.add_argument(
            "--without-checkpoints",
            action="store_true",
            help="Leave out the source's signed checkpoints (the logs verify as unsigned here).",
        )

    def handle(
        self, *args: Any, file: str, without_checkpoints: bool = False, **options: Any
    ) -> None:
        try:
            result = import_lines(self._lines(file), with_checkpoints=not without_checkpoints)
        except (ImportRefused, SigningKeyError) as exc:
            raise CommandError(f"Import refused, nothing was imported: {exc}") from None
        for imported in result.incidents:
            report = imported.report
            self.stdout.write(
                f"{imported.source_ref} -> {imported.incident.reference}: "
                f"{report.entries if report else 0} entries, {report.status if report else ''}"
                f" ({report.detail if report else ''})"
            )
        if result.placeholders:
            self.stdout.write(
                "Created inactive placeholder users (no password): "
                + ", ".join(sorted(result.placeholders))
            )
        self.stdout.write(
            self.style.SUCCESS(f"Imported {len(result.incidents)} incidents; every log verifies.")
        )

    @staticmethod
    def _lines(file: str) -> Iterator[str]:
        if file == "-":
            yield from sys.stdin
            return
        try:
            with Path(file).open(encoding="utf-8") as handle:
                yield from handle
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text: {exc.reason}") from None
