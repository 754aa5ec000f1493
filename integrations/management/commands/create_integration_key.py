"""Create an integration key and print the raw key once."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.models import MonitoredModel
from integrations.models import IntegrationKey, header_name


class Command(BaseCommand):
    help = "Create an integration key for a monitoring tool; the raw key is printed once and never stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=IntegrationKey.Kind.values)
        parser.add_argument(
            "--model", help="Slug of the monitored model alerts without a `model` label link to."
        )
        parser.add_argument(
            "--signing-secret",
            action="store_true",
            help="Grafana keys: also generate an HMAC signing secret (printed on the line after the key) "
            "to paste into the contact point's HMAC signature settings.",
        )
        parser.add_argument(
            "--timestamp-header",
            default="",
            help="With --signing-secret: the header Grafana puts the signed timestamp in "
            "(its hmacConfig.timestampHeader), e.g. X-Grafana-Alerting-Timestamp.",
        )

    def handle(
        self,
        *args: Any,
        name: str,
        kind: str,
        model: str | None,
        signing_secret: bool,
        timestamp_header: str,
        **options: Any,
    ) -> None:
        default_model = None
        if model:
            default_model = MonitoredModel.objects.filter(slug=model).first()
            if default_model is None:
                raise CommandError(f"No monitored model with slug {model!r}.")
        if (signing_secret or timestamp_header) and kind != IntegrationKey.Kind.GRAFANA:
            raise CommandError(
                "--signing-secret and --timestamp-header are for --kind grafana only."
            )
        if timestamp_header and not signing_secret:
            raise CommandError("--timestamp-header needs --signing-secret.")
        if timestamp_header:
            try:
                header_name(timestamp_header)
            except ValidationError as exc:
                raise CommandError(f"--timestamp-header: {exc.messages[0]}") from None
        secret = secrets.token_urlsafe(32) if signing_secret else ""
        key, raw = IntegrationKey.issue(
            name=name,
            kind=kind,
            default_model=default_model,
            signing_secret=secret,
            timestamp_header=timestamp_header,
        )
        if secret:
            self.stderr.write(
                f"Created {key}. Store the key (first line) and the signing secret (second line) "
                "now; they are not shown again:"
            )
            self.stdout.write(raw)
            self.stdout.write(secret)
            return
        self.stderr.write(f"Created {key}. Store this key now; it is not shown again:")
        self.stdout.write(raw)
