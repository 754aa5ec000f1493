"""Create an integration key and print the raw key once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.models import MonitoredModel
from integrations.models import IntegrationKey


class Command(BaseCommand):
    help = "Create an integration key for a monitoring tool; the raw key is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=IntegrationKey.Kind.values)
        parser.add_argument("--model", help="Slug of the monitored model alerts without a `model` label link to.")

    def handle(self, *args: Any, name: str, kind: str, model: str | None, **options: Any) -> None:
        default_model = None
        if model:
            default_model = MonitoredModel.objects.filter(slug=model).first()
            if default_model is None:
                raise CommandError(f"No monitored model with slug {model!r}.")
        key, raw = IntegrationKey.issue(name=name, kind=kind, default_model=default_model)
        self.stderr.write(f"Created {key}. Store this key now; it is not shown again:")
        self.stdout.write(raw)
