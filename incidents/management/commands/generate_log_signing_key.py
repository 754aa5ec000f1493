"""Write a new Ed25519 key for signing decision-log checkpoints."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.decision_log.signing import generate_private_key, public_key_text


class Command(BaseCommand):
    # The signing-key check would refuse to start before the key exists (or say
    # what this command says itself, less precisely).
    requires_system_checks: list[str] = []
    help = (
        "Write a new Ed25519 private key (PEM, mode 0600) to PATH and print its public key. "
        "Point LOG_SIGNING_KEY_FILE at PATH; never store it in the database or its backups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Where to write the private key; must not exist yet.")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            signer = generate_private_key(path)
        except FileExistsError:
            raise CommandError(
                f"{path} exists; refusing to replace a signing key (its checkpoints need it)."
            ) from None
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc}") from None
        self.stderr.write(
            f"Private key written to {path} (mode 0600). Key id {signer.key_id}. Public key:"
        )
        self.stdout.write(public_key_text(signer.public_key))
