"""Issue an API token for a user and print its raw key once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print the key (only its SHA-256 digest is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="", help="What the token is for, e.g. 'alertmanager'."
        )

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is inactive; activate the account first.")
        token, raw = ApiToken.issue(user=user, name=name[:100])
        # The key alone on stdout, so scripts can capture it; the rest on stderr.
        self.stdout.write(raw)
        self.stderr.write(
            f"Token {token.prefix}… issued to {username}; it will not be shown again."
        )
