"""Every endpoint × every persona: who may read, who may write, and that refusals write nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from glossary.services import create_term
from incidents.models import MetricPoint, Playbook
from incidents.services import assign_role
from tests.api.conftest import PERSONAS, census, error_fields

ANON = {"anonymous": 401}
REFUSED_OUTSIDE = {"outsider": 403, "regulator": 403}


def policy(ok: int, **overrides: int) -> dict[str, int]:
    table = {persona: ok for persona in PERSONAS} | ANON
    return table | overrides


READ = lambda: policy(200, **REFUSED_OUTSIDE)  # noqa: E731
GLOSSARY_READ = lambda: policy(200)  # noqa: E731
RESPOND = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=403)  # noqa: E731
DECLARE = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=403, responder=403)  # noqa: E731
# Assigning roles needs commander eligibility (or the IC role): admins have it.
COMMAND = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=403, responder=403)  # noqa: E731
# Decision rights come from incident roles: only the IC holds one here.
DECIDE = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=403, responder=403, admin_user=403)  # noqa: E731
IMMUTABLE = lambda: policy(405)  # noqa: E731


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    expected: dict[str, int]
    body: dict[str, Any] | None = None


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).isoformat()
INC = "/api/v1/incidents/{incident}"

ENDPOINTS = [
    Endpoint("incident-list", "get", "/api/v1/incidents/", READ()),
    Endpoint(
        "incident-declare",
        "post",
        "/api/v1/incidents/",
        DECLARE(201),
        {"title": "New", "severity": 3},
    ),
    Endpoint("incident-detail", "get", INC + "/", READ()),
    Endpoint("incident-put", "put", INC + "/", IMMUTABLE(), {"title": "x", "severity": 1}),
    Endpoint("incident-delete", "delete", INC + "/", IMMUTABLE()),
    Endpoint(
        "severity", "post", INC + "/severity/", DECIDE(200), {"severity": 1, "reason": "Spreading"}
    ),
    Endpoint("impact", "post", INC + "/impact/", RESPOND(200), {"customers_affected": 99}),
    Endpoint("milestone-list", "get", INC + "/milestones/", READ()),
    Endpoint(
        "milestone-reach",
        "post",
        INC + "/milestones/",
        DECIDE(201),
        {"phase": "contained", "indicator": "FP < 2 %"},
    ),
    Endpoint("role-list", "get", INC + "/roles/", READ()),
    Endpoint(
        "role-assign",
        "post",
        INC + "/roles/",
        COMMAND(201),
        {"role": "liaison_product", "user": "remy"},
    ),
    Endpoint("role-release", "post", INC + "/roles/release/", COMMAND(204), {"role": "scribe"}),
    Endpoint("log-list", "get", INC + "/log/", READ()),
    Endpoint("log-entry", "get", INC + "/log/1/", READ()),
    Endpoint("log-verify", "get", INC + "/log/verify/", READ()),
    Endpoint("log-note", "post", INC + "/log/", RESPOND(201), {"kind": "note", "text": "Looking"}),
    Endpoint(
        "log-action", "post", INC + "/log/", RESPOND(201), {"kind": "action", "text": "Paused job"}
    ),
    Endpoint(
        "log-reference",
        "post",
        INC + "/log/",
        RESPOND(201),
        {"kind": "reference", "ref_kind": "ticket", "ref": "OPS-1"},
    ),
    Endpoint(
        "log-correction",
        "post",
        INC + "/log/",
        RESPOND(201),
        {"kind": "correction", "corrects": 1, "text": "EU+UK"},
    ),
    Endpoint(
        "log-decision-request",
        "post",
        INC + "/log/",
        RESPOND(201),
        {"kind": "decision_request", "decision_type": "rollback_model", "question": "Roll back?"},
    ),
    Endpoint(
        "log-decision",
        "post",
        INC + "/log/",
        DECIDE(201),
        {
            "kind": "decision",
            "decision_type": "rollback_model",
            "decision": "Roll back",
            "rationale": "FP doubled",
        },
    ),
    Endpoint("log-list-put", "put", INC + "/log/", IMMUTABLE(), {"kind": "note", "text": "x"}),
    Endpoint("log-entry-put", "put", INC + "/log/1/", IMMUTABLE(), {"summary": "rewritten"}),
    Endpoint("log-entry-patch", "patch", INC + "/log/1/", IMMUTABLE(), {"summary": "rewritten"}),
    Endpoint("log-entry-delete", "delete", INC + "/log/1/", IMMUTABLE()),
    Endpoint("model-list", "get", "/api/v1/models/", READ()),
    Endpoint("model-detail", "get", "/api/v1/models/fraud-scoring/", READ()),
    Endpoint("metric-list", "get", "/api/v1/models/fraud-scoring/metrics/", READ()),
    Endpoint(
        "metric-ingest",
        "post",
        "/api/v1/models/fraud-scoring/metrics/",
        RESPOND(200),
        {"points": [{"metric": "false_positive_rate", "timestamp": NOW, "value": 4.2}]},
    ),
    Endpoint("playbook-list", "get", "/api/v1/playbooks/", READ()),
    Endpoint("playbook-detail", "get", "/api/v1/playbooks/{playbook}/", READ()),
    Endpoint("term-list", "get", "/api/v1/glossary/terms/", GLOSSARY_READ()),
    Endpoint("term-detail", "get", "/api/v1/glossary/terms/drift/", GLOSSARY_READ()),
    Endpoint("term-version", "get", "/api/v1/glossary/terms/drift/versions/1/", GLOSSARY_READ()),
    Endpoint(
        "term-create",
        "post",
        "/api/v1/glossary/terms/",
        RESPOND(201),
        {
            "name": "Precision",
            "technical_definition": "TP / (TP + FP)",
            "plain_definition": "How often a flag is right",
        },
    ),
    Endpoint(
        "term-revise",
        "post",
        "/api/v1/glossary/terms/drift/revise/",
        RESPOND(200),
        {"examples": "After the schema change"},
    ),
]


@pytest.fixture
def world(
    incident,
    commander,
    commander2,
    responder,
    executive,
    regulator,
    admin_user,
    outsider,
    fraud_model,
):
    """Every persona, an incident led by the commander, a term, a playbook and a metric point."""
    assign_role(incident=incident, role="scribe", user=responder, by=commander)
    create_term(
        by=None, name="Drift", technical_definition="Input shift", plain_definition="The data moved"
    )
    playbook = Playbook.objects.create(name="SEV1", severity=1)
    MetricPoint.objects.create(
        model=fraud_model, metric="false_positive_rate", timestamp=NOW, value=2.5
    )
    return {"incident": incident.pk, "playbook": playbook.pk}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_permission_matrix(world, client_for, endpoint: Endpoint, persona: str):
    client = client_for(persona)
    before = census()
    url = endpoint.path.format(**world)
    response = getattr(client, endpoint.method)(url, endpoint.body, format="json")
    expected = endpoint.expected[persona]
    assert response.status_code == expected, (persona, endpoint.name, response.content[:300])
    if expected >= 400:
        error_fields(response)  # the one error shape
        assert census() == before, "a refused request wrote something"
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"


def test_the_matrix_covers_every_route():
    """A new API route must join the matrix (or this test names it)."""
    from api.urls import v1

    covered = {e.path.replace("{incident}", "<int:incident_id>") for e in ENDPOINTS}
    routes = {"/api/v1/" + str(p.pattern) for p in v1}
    normalise = {
        "/api/v1/incidents/<int:incident_id>/log/1/": "/api/v1/incidents/<int:incident_id>/log/<int:sequence>/",
        "/api/v1/models/fraud-scoring/": "/api/v1/models/<slug:slug>/",
        "/api/v1/models/fraud-scoring/metrics/": "/api/v1/models/<slug:slug>/metrics/",
        "/api/v1/playbooks/{playbook}/": "/api/v1/playbooks/<int:playbook_id>/",
        "/api/v1/glossary/terms/drift/": "/api/v1/glossary/terms/<slug:slug>/",
        "/api/v1/glossary/terms/drift/revise/": "/api/v1/glossary/terms/<slug:slug>/revise/",
        "/api/v1/glossary/terms/drift/versions/1/": "/api/v1/glossary/terms/<slug:slug>/versions/<int:version>/",
    }
    assert {normalise.get(c, c) for c in covered} == routes
