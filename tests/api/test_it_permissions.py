"""Every endpoint × every persona: who may read, who may write, and that refusals write nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from comms.models import (
    Deadline,
    Delivery,
    DeliveryAttempt,
    Feedback,
    Rendition,
    StatusUpdate,
    Subscription,
)
from publicstatus.models import Maintenance, MaintenanceUpdate
from tests.helpers import PERSONAS, Endpoint, census, error_fields, policy

REFUSED_OUTSIDE = {"outsider": 403, "regulator": 403}


READ = lambda: policy(200, **REFUSED_OUTSIDE)  # noqa: E731
GLOSSARY_READ = lambda: policy(200)  # noqa: E731
RESPOND = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=403)  # noqa: E731
DECLARE = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=403, responder=403)  # noqa: E731
# Assigning roles needs commander eligibility (or the IC role): admins have it.
COMMAND = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=403, responder=403)  # noqa: E731
# Decision rights come from incident roles: only the IC holds one here.
DECIDE = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=403, responder=403, admin_user=403)  # noqa: E731
IMMUTABLE = lambda: policy(405)  # noqa: E731
# Comms: one's own subscriptions and inbox are open to every incident reader, executives too.
SELF = lambda ok: policy(ok, **REFUSED_OUTSIDE)  # noqa: E731
# Endpoint subscriptions: commanders and admins; others do not even see them.
ENDPOINT_SUB = lambda ok: policy(ok, **REFUSED_OUTSIDE, executive=404, responder=404)  # noqa: E731
# The executive's own subscription or inbox message: theirs and the admin's (subscriptions) to touch.
EVES = lambda ok, **more: policy(404, **REFUSED_OUTSIDE, executive=ok, **more)  # noqa: E731
OPERATORS = lambda: policy(200, **REFUSED_OUTSIDE, executive=403)  # noqa: E731
REGULATOR_CHANNEL = lambda: policy(200, outsider=403)  # noqa: E731


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).isoformat()
INC = "/api/v1/incidents/{incident}"
UPD = INC + "/updates"
SUBS = "/api/v1/subscriptions"
OBL = INC + "/obligations/{obligation}/report"

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
    # --- Status updates (numbers: {published}, {regulator}, {awaiting}, {draft}; see `world`)
    Endpoint("update-list", "get", UPD + "/", READ()),
    Endpoint(
        "update-create",
        "post",
        UPD + "/",
        RESPOND(201),
        {"what_changed": "Rolled back", "renditions": {"technical": {"summary": "v41 live"}}},
    ),
    Endpoint("update-detail", "get", UPD + "/{published}/", READ()),
    Endpoint(
        "update-edit", "patch", UPD + "/{draft}/", RESPOND(200), {"what_changed": "Rolled back v42"}
    ),
    Endpoint("update-put", "put", UPD + "/{draft}/", IMMUTABLE(), {"what_changed": "x"}),
    Endpoint("update-delete", "delete", UPD + "/{draft}/", IMMUTABLE()),
    Endpoint("update-submit", "post", UPD + "/{awaiting}/submit/", RESPOND(200)),
    # Only the regulator liaison signs off: the commander holds that role here, nobody else.
    Endpoint("update-sign-off", "post", UPD + "/{awaiting}/sign-off/", DECIDE(200)),
    # Only the IC or the comms lead publishes.
    Endpoint("update-publish", "post", UPD + "/{draft}/publish/", DECIDE(200), {}),
    Endpoint("update-jargon", "get", UPD + "/{published}/jargon/", READ()),
    Endpoint("regulator-updates", "get", "/api/v1/regulator/updates/", REGULATOR_CHANNEL()),
    Endpoint(
        "regulator-update", "get", "/api/v1/regulator/updates/{rendition}/", REGULATOR_CHANNEL()
    ),
    Endpoint(
        "jargon-check",
        "post",
        "/api/v1/jargon-check/",
        policy(200),
        {"text": "Drift is up", "audience": "executive"},
    ),
    # --- Cadence and feedback
    Endpoint("deadline-list", "get", INC + "/deadlines/", READ()),
    Endpoint(
        "deadline-snooze",
        "post",
        INC + "/deadlines/{deadline}/snooze/",
        DECIDE(200),
        {"minutes": 10, "reason": "Waiting on the vendor"},
    ),
    Endpoint("feedback-summary", "get", INC + "/feedback/", READ()),
    # --- Subscriptions, deliveries, inbox
    Endpoint("subscription-list", "get", SUBS + "/", SELF(200)),
    Endpoint(
        "subscription-create-own",
        "post",
        SUBS + "/",
        SELF(201),
        {"name": "Mine", "audience": "executive"},
    ),
    Endpoint(
        "subscription-create-endpoint",
        "post",
        SUBS + "/",
        DECLARE(201),
        {
            "name": "Ops hook",
            "audience": "technical",
            "channel": "webhook",
            "target": "https://hooks.example.test/icc",
        },
    ),
    Endpoint("subscription-detail", "get", SUBS + "/{sub}/", ENDPOINT_SUB(200)),
    Endpoint(
        "subscription-edit", "patch", SUBS + "/{sub}/", ENDPOINT_SUB(200), {"min_severity": 2}
    ),
    Endpoint("subscription-put", "put", SUBS + "/{sub}/", IMMUTABLE(), {"name": "x"}),
    Endpoint("subscription-delete", "delete", SUBS + "/{sub}/", ENDPOINT_SUB(204)),
    Endpoint("subscription-rotate", "post", SUBS + "/{sub}/rotate-secret/", ENDPOINT_SUB(200)),
    Endpoint("subscription-test", "post", SUBS + "/{sub}/test/", ENDPOINT_SUB(202)),
    Endpoint("subscription-own-detail", "get", SUBS + "/{own_sub}/", EVES(200, admin_user=200)),
    Endpoint("subscription-own-test", "post", SUBS + "/{own_sub}/test/", EVES(202, admin_user=202)),
    Endpoint("delivery-list", "get", "/api/v1/deliveries/", OPERATORS()),
    Endpoint("delivery-detail", "get", "/api/v1/deliveries/{delivery}/", OPERATORS()),
    Endpoint("inbox", "get", "/api/v1/inbox/", SELF(200)),
    Endpoint("inbox-read", "post", "/api/v1/inbox/{delivery}/read/", EVES(200)),
    Endpoint("inbox-read-all", "post", "/api/v1/inbox/read-all/", SELF(200)),
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
    # --- Integrations: a user token is no integration key, whoever holds it.
    Endpoint(
        "integration-alertmanager",
        "post",
        "/api/v1/integrations/alertmanager/",
        policy(401),
        {"version": "4", "status": "firing", "groupKey": "g", "alerts": []},
        challenge="Bearer",
    ),
    Endpoint(
        "integration-grafana",
        "post",
        "/api/v1/integrations/grafana/",
        policy(401),
        {"version": "1", "status": "firing", "groupKey": "g", "alerts": []},
        challenge="Bearer",
    ),
    Endpoint(
        "integration-pagerduty",
        "post",
        "/api/v1/integrations/pagerduty/v2/enqueue",
        policy(400, anonymous=400),  # no routing_key: PagerDuty's "invalid event"
        {"event_action": "trigger", "payload": {"summary": "x", "source": "y", "severity": "info"}},
        our_error_shape=False,
    ),
    # The evidence pack: whoever may lead the incident (commander-eligible users, its IC) and its
    # regulator liaison; never executives or regulator viewers (it holds every audience's wording).
    Endpoint("evidence-pack", "get", INC + "/evidence/", COMMAND(200)),
    # Regulatory obligations: incident readers read; the regulator liaison or the commander (here
    # the commander holds both roles) triages, records moments and handles the reports. The world's
    # GDPR report has no saved draft: signing off or submitting it is a conflict even for them.
    Endpoint("regime-list", "get", "/api/v1/regulatory/regimes/", READ()),
    Endpoint("obligation-list", "get", INC + "/obligations/", READ()),
    Endpoint("triage-state", "get", INC + "/regulatory/triage/", READ()),
    Endpoint(
        "triage",
        "post",
        INC + "/regulatory/triage/",
        DECIDE(201),
        {"regime": "nis2-art23", "answers": {"essential_or_important": True, "significant": True}},
    ),
    Endpoint(
        "moment", "post", INC + "/regulatory/moments/", DECIDE(201), {"name": "classified_major"}
    ),
    Endpoint("obligation-report", "get", OBL + "/", READ()),
    Endpoint(
        "obligation-report-edit",
        "patch",
        OBL + "/",
        DECIDE(200),
        {"content": {"contact": "dpo@x.test"}},
    ),
    Endpoint("obligation-report-sign-off", "post", OBL + "/sign-off/", DECIDE(409)),
    Endpoint(
        "obligation-report-submit", "post", OBL + "/submit/", DECIDE(409), {"channel": "Portal"}
    ),
    Endpoint("obligation-report-markdown", "get", OBL + "/markdown/", READ()),
    Endpoint("obligation-report-pdf", "get", OBL + "/pdf/", READ()),
    Endpoint("maintenance-list", "get", "/api/v1/maintenances/", READ()),
    Endpoint(
        "maintenance-schedule",
        "post",
        "/api/v1/maintenances/",
        COMMAND(201),
        {
            "name": "Database upgrade",
            "scheduled_for": "2030-03-01T12:00:00Z",
            "scheduled_until": "2030-03-01T13:00:00Z",
            "components": ["fraud-scoring"],
        },
    ),
    Endpoint("maintenance-detail", "get", "/api/v1/maintenances/{maintenance}/", READ()),
    Endpoint(
        "maintenance-step",
        "post",
        "/api/v1/maintenances/{maintenance}/steps/",
        COMMAND(200),
        {"step": "announce", "body": "We upgrade the database."},
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


def comms_census() -> dict[str, int]:
    """The census plus every comms table a request could write."""
    tables = (
        StatusUpdate,
        Rendition,
        Deadline,
        Subscription,
        Delivery,
        DeliveryAttempt,
        Feedback,
        Maintenance,
        MaintenanceUpdate,
    )
    return census() | {model.__name__: model.objects.count() for model in tables}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_permission_matrix(world, client_for, endpoint: Endpoint, persona: str):
    client = client_for(persona)
    before = comms_census()
    url = endpoint.path.format(**world)
    response = getattr(client, endpoint.method)(url, endpoint.body, format="json")
    expected = endpoint.expected[persona]
    assert response.status_code == expected, (persona, endpoint.name, response.content[:300])
    if expected >= 400:
        if endpoint.our_error_shape:
            error_fields(response)  # the one error shape
        assert comms_census() == before, "a refused request wrote something"
    if expected == 401:
        assert response["WWW-Authenticate"] == endpoint.challenge


def test_the_matrix_covers_every_route():
    """A new API route must join the matrix (or this test names it)."""
    from api.urls import LEARNING_RESOURCES, v1

    placeholders = {
        "{incident}": "<int:incident_id>",
        "{published}": "<int:number>",
        "{awaiting}": "<int:number>",
        "{draft}": "<int:number>",
        "{rendition}": "<int:rendition_id>",
        "{deadline}": "<int:deadline_id>",
        "{sub}": "<int:subscription_id>",
        "{own_sub}": "<int:subscription_id>",
        "{obligation}": "<int:obligation_id>",
        "{maintenance}": "<int:maintenance_id>",
    }
    covered = set()
    for endpoint in ENDPOINTS:
        path = endpoint.path
        for placeholder, converter in placeholders.items():
            path = path.replace(placeholder, converter)
        # A delivery id is an inbox message id under /inbox/.
        covered.add(path.replace("{delivery}", "<uuid:delivery_id>"))
    # The learning loop's routes have their own matrices (tests/learning/).
    own_matrix = {f"api.{name}.urls" for name in LEARNING_RESOURCES}
    routes = {
        "/api/v1/" + str(p.pattern) + str(sub.pattern)
        for p in v1
        if getattr(getattr(p, "urlconf_name", None), "__name__", None) not in own_matrix
        for sub in getattr(p, "url_patterns", [p])
        if sub is not p
    } | {"/api/v1/" + str(p.pattern) for p in v1 if not hasattr(p, "url_patterns")}
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
