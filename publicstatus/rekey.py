"""After a SECRET_KEY rotation: recompute every subscriber's keyed address hash under the new key.

Subscribers are found by HMAC-SHA256(SECRET_KEY, address) (links.keyed_hash); a new key
changes every hash. Sign-up moves one row at a time while the old key is in
SECRET_KEY_FALLBACKS (subscriptions._rehash); this moves them all at once, so the old
key can go. Addresses are read to hash them, never printed: reports name row ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from publicstatus.links import keyed_hash
from publicstatus.models import Subscriber


@dataclass
class RekeyReport:
    moved: int = 0
    unchanged: int = 0
    # (row ended, row kept) for an address that had a row under each key.
    ended: list[tuple[int, int]] = field(default_factory=list)


def rehash_subscribers(*, now: datetime) -> RekeyReport:
    """Give every subscriber the hash of its address under the current SECRET_KEY.

    1. A row whose hash is current is left alone (a second run changes nothing).
    2. A row whose address has no row under the current hash gets that hash.
    3. Otherwise the address signed up again after the rotation without the old key
       as a fallback: two rows, and two mails per notice once both are active. An
       inactive old row is inert and stays. An active one is ended when the new row
       is active or was unsubscribed (the latest wish); when the new row still waits
       for its confirmation, the old row keeps the subscription and takes the
       current hash, and the new row is ended (its link then confirms nothing).
    """
    report = RekeyReport()
    for pk, address, old_hash in Subscriber.objects.order_by("pk").values_list(
        "pk", "address", "address_hash"
    ):
        current = keyed_hash(address)
        if current == old_hash:
            report.unchanged += 1
            continue
        with transaction.atomic():
            row = Subscriber.objects.select_for_update().get(pk=pk)
            twin = Subscriber.objects.select_for_update().filter(address_hash=current).first()
            if twin is None:
                _set_hash(row, current)
                report.moved += 1
            elif not row.is_active:
                continue
            elif twin.is_active or twin.unsubscribed_at is not None:
                _end(row, now)
                report.ended.append((row.pk, twin.pk))
            else:
                _set_hash(twin, f"rekey-{twin.pk}")  # the column is unique: free `current` first
                _set_hash(row, current)
                _set_hash(twin, old_hash)
                _end(twin, now)
                report.ended.append((twin.pk, row.pk))
    return report


def _set_hash(subscriber: Subscriber, value: str) -> None:
    subscriber.address_hash = value
    subscriber.save(update_fields=["address_hash"])


def _end(subscriber: Subscriber, now: datetime) -> None:
    subscriber.unsubscribed_at = now
    subscriber.save(update_fields=["unsubscribed_at"])
