"""Plain helpers shared by tests (no fixtures, no data builders: see builders.py).

Concurrency (`race`), polling (`wait_until`) and the API's test vocabulary: token clients,
the personas of the permission matrices, a row census and the one error shape.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from api.models import ApiToken
from comms.models import (
    Deadline,
    Delivery,
    DeliveryAttempt,
    Feedback,
    Rendition,
    StatusUpdate,
    Subscription,
)
from glossary.models import Term, TermVersion
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import AffectedModel, Incident, MetricPoint, Milestone, RoleAssignment

# --- Concurrency and polling ------------------------------------------------------------------


def race(work: Callable[[], Any], *, threads: int = 2, timeout: float = 60) -> list[Any]:
    """Run `work` in `threads` threads released at once (each its own DB connection); return the results.

    For claims that must hold under concurrency (on PostgreSQL: row locks and
    conditional UPDATEs). Each thread closes its connection, so the test
    database can be dropped afterwards.
    """
    barrier, results, errors = threading.Barrier(threads), [], []

    def run() -> None:
        try:
            barrier.wait(timeout)
            results.append(work())
        except BaseException as exc:  # noqa: BLE001 - raised in the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join(timeout)
    if errors:
        raise errors[0]
    assert len(results) == threads, "a racing thread hung"
    return results


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll *predicate* until it returns something truthy; fail after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(interval)


# --- API ------------------------------------------------------------------------------------

# The persona fixtures (tests/fixtures/personas.py) a permission matrix runs through.
PERSONAS = [
    "anonymous",
    "outsider",
    "regulator",
    "executive",
    "responder",
    "commander",
    "admin_user",
]


def policy(ok: int, **overrides: int) -> dict[str, int]:
    """Expected status per persona: `ok` for all, 401 for anonymous, then `overrides`."""
    return {persona: ok for persona in PERSONAS} | {"anonymous": 401} | overrides


@dataclass
class Endpoint:
    """One row of a permission matrix: a request and the status each persona gets."""

    name: str
    method: str
    path: str
    expected: dict[str, int]
    body: dict[str, Any] | None = None
    # Integration endpoints authenticate by key, not user: they name "Bearer" in a 401,
    # and the PagerDuty one answers in PagerDuty's own error shape.
    challenge: str = "Token"
    our_error_shape: bool = True


def token_client(user: User | None) -> APIClient:
    """Return a client that sends `Authorization: Token …` for `user` (none if None)."""
    client = APIClient()
    if user is not None:
        _, raw = ApiToken.issue(user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def census() -> dict[str, int]:
    """Count the rows any endpoint could write, to prove a refusal wrote nothing."""
    return {
        model.__name__: model.objects.count()
        for model in (
            Incident,
            AffectedModel,
            DecisionLogEntry,
            RoleAssignment,
            Milestone,
            MetricPoint,
            Term,
            TermVersion,
        )
    }


def error_fields(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Return the field errors of the one API error shape, checking the shape on the way."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == response.status_code
    assert error["code"] and error["message"]
    return error.get("fields", {})


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
