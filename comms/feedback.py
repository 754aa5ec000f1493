"""Readers' ratings of delivered updates (signed one-click link, no login)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Avg, Count

from comms import fanout
from comms.models import Delivery, Feedback
from incidents.models import Incident
from kit.errors import DomainError

COMMENT_MAX = 2000


def delivery_for_feedback(token: str) -> Delivery | None:
    """Return the update delivery a feedback token names, or None if the token is bad."""
    try:
        delivery_id = fanout.delivery_for_token(token)
    except signing.BadSignature:
        return None
    try:
        pk = uuid.UUID(str(delivery_id))
    except ValueError:  # signed by us, but not a delivery id
        return None
    return (
        Delivery.objects.select_related("update__incident")
        .filter(pk=pk, kind=Delivery.Kind.UPDATE, update__isnull=False)
        .first()
    )


def _rating(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise DomainError(f"{field} is a whole number from 1 to 5.", field=field)
    return value


def record_feedback(
    *, delivery: Delivery, clarity: int, usefulness: int, comment: str = ""
) -> Feedback:
    """Store the reader's rating of this delivery, replacing an earlier one."""
    clarity, usefulness = _rating(clarity, "clarity"), _rating(usefulness, "usefulness")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(f"comment is at most {COMMENT_MAX} characters.", field="comment")
    if delivery.kind != Delivery.Kind.UPDATE or delivery.update_id is None:
        raise DomainError("Only delivered updates can be rated.", field="token")
    with transaction.atomic():
        feedback, _ = Feedback.objects.update_or_create(
            delivery=delivery,
            defaults={
                "update_id": delivery.update_id,
                "audience": delivery.audience,
                "clarity": clarity,
                "usefulness": usefulness,
                "comment": comment,
            },
        )
    return feedback


def summarise(incident: Incident) -> dict[str, Any]:
    """Return average ratings of the incident's updates: overall, per audience and per update."""
    rows = Feedback.objects.filter(update__incident=incident)
    stats = {
        "avg_clarity": Avg("clarity"),
        "avg_usefulness": Avg("usefulness"),
        "count": Count("id"),
    }
    overall = rows.aggregate(**stats)
    by_audience = rows.values("audience").annotate(**stats).order_by("audience")
    by_update = (
        rows.values("update__number", "audience")
        .annotate(**stats)
        .order_by("update__number", "audience")
    )
    return {
        "incident": incident.pk,
        "overall": overall,
        "by_audience": list(by_audience),
        "by_update": [
            {"update": r["update__number"], **{k: v for k, v in r.items() if k != "update__number"}}
            for r in by_update
        ],
    }
