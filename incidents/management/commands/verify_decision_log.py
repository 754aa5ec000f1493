"""Recompute every decision-log hash chain and report the first broken link."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.log import verify_chain
from incidents.models import Incident


class Command(BaseCommand):
    help = "Verify the hash chains of the decision logs; exit 1 on any break."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--incident", type=int, help="Verify one incident (its id).")

    def handle(self, *args: Any, incident: int | None = None, **options: Any) -> None:
        ids = [incident] if incident is not None else list(Incident.objects.order_by("pk").values_list("pk", flat=True))
        if incident is not None and not Incident.objects.filter(pk=incident).exists():
            raise CommandError(f"No incident with id {incident}.")
        broken = 0
        total = 0
        for incident_id in ids:
            report = verify_chain(incident_id)
            total += report.entries
            if report.valid:
                if options["verbosity"] >= 2:
                    self.stdout.write(f"INC-{incident_id}: {report.entries} entries, head {report.head[:12]}")
                continue
            broken += 1
            link = report.first_broken or {}
            self.stdout.write(
                self.style.ERROR(
                    f"INC-{incident_id}: chain broken at entry #{link.get('sequence')} "
                    f"(id {link.get('id')}): {link.get('reason')}"
                )
            )
        if broken:
            raise CommandError(f"{broken} of {len(ids)} decision logs are broken.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} decision logs, {total} entries: all chains intact."))
