"""Which incidents customers may see: real ones with a published customer rendition."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from comms.models import Rendition, StatusUpdate
from incidents.choices import Audience
from incidents.models import Incident


def customer_published(prefix: str = "") -> dict[str, Any]:
    """Filter kwargs selecting published customer renditions (relative to `prefix`)."""
    return {
        f"{prefix}audience": Audience.CUSTOMER,
        f"{prefix}update__status": StatusUpdate.Status.PUBLISHED,
    }


def visible_incidents() -> QuerySet[Incident]:
    """Real incidents with at least one published customer rendition."""
    has_customer = Exists(
        Rendition.objects.filter(update__incident=OuterRef("pk"), **customer_published())
    )
    return Incident.objects.real().filter(has_customer)
