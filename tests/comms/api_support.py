"""Helpers for the comms API tests: clients, a declared incident, a state snapshot."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from comms.models import (
    Deadline,
    Delivery,
    DeliveryAttempt,
    Feedback,
    Rendition,
    StatusUpdate,
    Subscription,
)
from glossary.services import create_term
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import RoleAssignment
from tests.api.conftest import error_fields, token_client

__all__ = ["as_user", "declare", "error_fields", "jargon_terms", "snapshot", "draft_body"]


def as_user(user: User | None) -> APIClient:
    return token_client(user)


def declare(client: APIClient, severity: int = 2, **extra: Any) -> dict[str, Any]:
    """Declare through the API (so cadence deadlines open) and return the incident."""
    body = {"title": "Fraud model false-positive surge", "severity": severity, **extra}
    response = client.post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def jargon_terms() -> None:
    """Two technical glossary terms with the variants the tests use."""
    create_term(
        by=None,
        name="p95",
        variants=["p95 latency", "p99"],
        technical_definition="95th percentile of response time",
        plain_definition="How long the slowest 1 in 20 requests takes.",
    )
    create_term(
        by=None,
        name="PSI",
        variants=["population stability index"],
        technical_definition="Population stability index",
        plain_definition="A measure of how much the incoming data has changed.",
    )
    create_term(
        by=None,
        name="False positive",
        variants=["false positives", "FP"],
        technical_definition="A legitimate case flagged by the model",
        plain_definition="A genuine customer wrongly treated as suspicious.",
    )


def draft_body(**renditions: dict[str, str]) -> dict[str, Any]:
    return {
        "what_changed": "Rolled the fraud model back to v41.",
        "uncertain": "Why the pipeline change passed its checks.",
        "current_impact": "About 1,200 customers declined in error.",
        "renditions": renditions
        or {"technical": {"summary": "v41 live; FP rate 1.8 %", "body": "Commit 9f3c2ab"}},
    }


def snapshot() -> dict[str, Any]:
    """Every comms row and log entry, as values: equal before and after means nothing changed."""
    return {
        "updates": list(StatusUpdate.objects.order_by("pk").values()),
        "renditions": list(Rendition.objects.order_by("pk").values()),
        "deadlines": list(Deadline.objects.order_by("pk").values()),
        "deliveries": Delivery.objects.count(),
        "attempts": DeliveryAttempt.objects.count(),
        "subscriptions": list(Subscription.objects.order_by("pk").values()),
        "feedback": list(Feedback.objects.order_by("pk").values()),
        "log": DecisionLogEntry.objects.count(),
        "roles": RoleAssignment.objects.count(),
    }
