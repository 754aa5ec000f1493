"""Recompute subscribers' address hashes under the current SECRET_KEY (after a rotation)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from publicstatus.rekey import rehash_subscribers


class Command(BaseCommand):
    help = (
        "After a SECRET_KEY rotation, give every status-page subscriber the hash of its "
        "address under the new key (docs/deploy.md, 'Key rotation'). Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = rehash_subscribers(now=timezone.now())
        self.stdout.write(
            f"{report.moved} subscriber(s) moved to the current key, {report.unchanged} already on it."
        )
        for ended, kept in report.ended:
            self.stdout.write(f"subscriber #{ended} ended: the same address is subscriber #{kept}.")
