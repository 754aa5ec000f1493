"""Print the public key that verifies decision-log checkpoints."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.decision_log.signing import SigningKeyError, load_private_key, public_key_text


class Command(BaseCommand):
    # The signing-key check would refuse to start before the key exists (or say
    # what this command says itself, less precisely).
    requires_system_checks: list[str] = []
    help = "Print the public key (base64) and key id of LOG_SIGNING_KEY_FILE, or of --key-file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--key-file", help="A private key file other than LOG_SIGNING_KEY_FILE."
        )

    def handle(self, *args: Any, key_file: str | None = None, **options: Any) -> None:
        path = key_file or settings.LOG_SIGNING_KEY_FILE
        if not path:
            raise CommandError("No key: set LOG_SIGNING_KEY_FILE or pass --key-file.")
        try:
            signer = load_private_key(path)
        except SigningKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(public_key_text(signer.public_key))
        self.stderr.write(f"key id {signer.key_id}")
