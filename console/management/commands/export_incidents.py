"""Write incidents with their whole decision log to stdout as JSON Lines."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import audit
from audit.models import Action
from console.backup.export import export_lines
from incidents.models import Incident


class Command(BaseCommand):
    help = (
        "Export incidents (all, or --incident ID) with their decision logs, checkpoints, roles, "
        "milestones and published updates as JSON Lines on stdout, for import_incidents."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--incident",
            type=int,
            action="append",
            help="Export this incident (its id); repeatable.",
        )

    def handle(self, *args: Any, incident: list[int] | None = None, **options: Any) -> None:
        if incident:
            found = set(Incident.objects.filter(pk__in=incident).values_list("pk", flat=True))
            missing = sorted(set(incident) - found)
            if missing:
                raise CommandError(f"No incident with id {', '.join(map(str, missing))}.")
        # A file of incidents holds regulator renditions and names: who took one is audited.
        audit.record(
            action=Action.INCIDENTS_EXPORTED,
            details={"incidents": sorted(incident) if incident else "all"},
        )
        for text in export_lines(incident):
            self.stdout.write(text, ending="")
        self.stdout.flush()
