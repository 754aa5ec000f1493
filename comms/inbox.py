"""The in-app inbox: a user's in-app deliveries, read or unread."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AbstractBaseUser, User
from django.db.models import QuerySet
from django.utils import timezone

from comms.models import Channel, Delivery


def inbox_of(user: AbstractBaseUser) -> QuerySet[Delivery]:
    """Return the user's in-app messages, newest first.

    Every in-app row is listed from the moment it is written: the inbox is
    the row itself, so it needs no worker to "deliver" it.
    """
    return Delivery.objects.filter(user=cast(User, user), channel=Channel.INAPP).order_by(
        "-created_at", "-pk"
    )


def unread_count(user: AbstractBaseUser) -> int:
    return inbox_of(user).filter(read_at__isnull=True).count()


def mark_read(*, delivery: Delivery, by: AbstractBaseUser) -> Delivery:
    """Mark one message read; reading it again keeps the first time."""
    if delivery.read_at is None:
        now = timezone.now()
        # Conditional: two tabs marking at once keep the earlier time.
        Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(read_at=now)
        delivery.refresh_from_db(fields=["read_at"])
    return delivery


def mark_all_read(*, by: AbstractBaseUser) -> int:
    """Mark every unread message of `by` read; return how many changed."""
    return inbox_of(by).filter(read_at__isnull=True).update(read_at=timezone.now())
