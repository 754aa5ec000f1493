"""Recompute every decision-log hash chain and check it against the signed checkpoints."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.decision_log.checkpoints import BROKEN, INTACT, verify_log
from incidents.decision_log.signing import SigningKeyError, trusted_public_keys
from incidents.decision_log.verify import ChainReport
from incidents.models import Incident


class Command(BaseCommand):
    help = (
        "Verify the hash chains of the decision logs against their signed checkpoints; "
        "exit 1 on a broken link, a rewrite before a checkpoint, or a bad signature."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incident", type=int, help="Verify one incident (its id).")

    def handle(self, *args: Any, incident: int | None = None, **options: Any) -> None:
        ids = (
            [incident]
            if incident is not None
            else list(Incident.objects.order_by("pk").values_list("pk", flat=True))
        )
        if incident is not None and not Incident.objects.filter(pk=incident).exists():
            raise CommandError(f"No incident with id {incident}.")
        try:
            keys = trusted_public_keys()
        except SigningKeyError as exc:
            raise CommandError(str(exc)) from None
        if not keys:
            self.stdout.write(
                self.style.WARNING(
                    "No log signing key configured (LOG_SIGNING_KEY_FILE, LOG_TRUSTED_PUBLIC_KEYS): "
                    "chains are checked for internal consistency only (unsigned)."
                )
            )
        failed = signed = total = 0
        for incident_id in ids:
            report = verify_log(incident_id, keys=keys)
            total += report.entries
            signed += report.status == INTACT
            if report.valid:
                if options["verbosity"] >= 2:
                    self.stdout.write(
                        f"INC-{incident_id}: {report.entries} entries, head {report.head[:12]}, {report.status}"
                    )
                continue
            failed += 1
            self.stdout.write(self.style.ERROR(self._problem(incident_id, report)))
        if failed:
            raise CommandError(
                f"{failed} of {len(ids)} decision logs failed verification.", returncode=1
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(ids)} decision logs, {total} entries: all chains intact "
                f"({signed} match a signed checkpoint, {len(ids) - signed} unsigned)."
            )
        )

    @staticmethod
    def _problem(incident_id: int, report: ChainReport) -> str:
        if report.status == BROKEN:
            link = report.first_broken or {}
            checkpoint_problem = report.detail.partition("; ")[2]  # set when a checkpoint fails too
            return (
                f"INC-{incident_id}: chain broken at entry #{link.get('sequence')} "
                f"(id {link.get('id')}): {link.get('reason')}"
                + (f"; {checkpoint_problem}" if checkpoint_problem else "")
            )
        return f"INC-{incident_id}: {report.detail}"
