"""What the demo's public status page shows besides incidents: components and maintenance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from incidents.models import MonitoredModel
from publicstatus.maintenance import announce_maintenance, schedule_maintenance
from publicstatus.models import Component, Maintenance

# model slug -> public name, description, group, position, customer-facing
COMPONENTS: dict[str, dict[str, Any]] = {
    "fraud-scoring": {
        "public_name": "Card payments",
        "public_description": "Approving card payments at checkout.",
        "group": "Payments",
        "position": 1,
    },
    "credit-risk": {
        "public_name": "Credit decisions",
        "public_description": "Instant decisions on credit applications.",
        "group": "Lending",
        "position": 1,
    },
    "recommendations": {
        "public_name": "Product recommendations",
        "public_description": "Suggestions in the app and on the website.",
        "group": "Shopping",
        "position": 1,
    },
}

MAINTENANCE: dict[str, Any] = {
    "name": "Payments platform upgrade",
    "body": "We are upgrading the payments platform. Card payments may take a few seconds "
    "longer to approve during the window; no payment will be lost.",
    "days_ahead": 3,
    "hours_long": 2,
    "components": ["fraud-scoring"],
}


def seed_public_status(commander: User) -> list[str]:
    """Give the models public names and announce one upcoming maintenance (idempotent)."""
    said = []
    models = {m.slug: m for m in MonitoredModel.objects.filter(slug__in=COMPONENTS)}
    for slug, fields in COMPONENTS.items():
        if slug in models:
            _, created = Component.objects.get_or_create(model=models[slug], defaults=fields)
            if created:
                said.append(f"Component {fields['public_name']} created")
    if not Maintenance.objects.filter(name=MAINTENANCE["name"]).exists():
        start = (timezone.now() + timedelta(days=MAINTENANCE["days_ahead"])).replace(
            minute=0, second=0, microsecond=0
        )
        maintenance = schedule_maintenance(
            by=commander,
            name=MAINTENANCE["name"],
            body=MAINTENANCE["body"],
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=MAINTENANCE["hours_long"]),
            components=[s for s in MAINTENANCE["components"] if s in models],
        )
        announce_maintenance(maintenance, by=commander)
        said.append(f"Maintenance {maintenance.name} announced")
    return said
