"""API test helpers: token-authenticated clients per persona, a row census."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from api.models import ApiToken
from glossary.models import Term, TermVersion
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import AffectedModel, Incident, MetricPoint, Milestone, RoleAssignment

PERSONAS = [
    "anonymous",
    "outsider",
    "regulator",
    "executive",
    "responder",
    "commander",
    "admin_user",
]


def token_client(user: User | None) -> APIClient:
    """Return a client that sends `Authorization: Token …` for `user` (none if None)."""
    client = APIClient()
    if user is not None:
        _, raw = ApiToken.issue(user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


@pytest.fixture
def client_for(request: pytest.FixtureRequest) -> Callable[[str], APIClient]:
    """Return a factory: persona fixture name -> token client ("anonymous" -> no credentials)."""

    def make(persona: str) -> APIClient:
        if persona == "anonymous":
            return token_client(None)
        return token_client(request.getfixturevalue(persona))

    return make


@pytest.fixture
def api(commander) -> APIClient:
    """A client for the commander who declared the `incident` fixture."""
    return token_client(commander)


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
