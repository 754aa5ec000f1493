"""/api/v2/*.json: the Statuspage v2-compatible public API (customer content only)."""

from __future__ import annotations

import json

import pytest

from comms import workflows
from comms.services import create_draft
from incidents.choices import Phase
from incidents.models import Incident, MonitoredModel
from integrations import statuspage
from publicstatus.maintenance import start_maintenance
from tests.builders import announced_maintenance, declare, make_user, publish_renditions, resolve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_cache_prefix")]

BASE = "/api/v2/"
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
STATUS_KEYS = {"indicator", "description"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
UPDATE_KEYS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}
AFFECTED_KEYS = {"code", "name", "old_status", "new_status"}
DOCUMENT_KEYS = {
    "summary.json": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "status.json": {"page", "status"},
    "components.json": {"page", "components"},
    "incidents.json": {"page", "incidents"},
    "incidents/unresolved.json": {"page", "incidents"},
    "scheduled-maintenances.json": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/upcoming.json": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/active.json": {"page", "scheduled_maintenances"},
}
INDICATORS = {"none", "minor", "major", "critical"}
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
SECRETS = [
    "INTERNAL-TITLE-8Z",
    "SCOPE-8Z",
    "SUMMARY-8Z",
    "EXPERIENCE-8Z",
    "REGNOTE-8Z",
    "TECH-8Z",
    "EXEC-8Z",
    "REGULATOR-8Z",
    "DRAFT-8Z",
    "DRILL-8Z",
    "v41-model-8Z",
    "MODEL-DESC-8Z",
    "FUNCTION-8Z",
]


def get(client, path, **extra):
    response = client.get(BASE + path, **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


@pytest.fixture
def sp_liaison(db):

    return make_user("sp-ruth", "responder")


@pytest.fixture
def sp_planted(commander, responder, sp_liaison, fraud_model):
    """A real incident whose every internal field and non-customer rendition carries a marker, and a drill."""
    MonitoredModel.objects.filter(pk=fraud_model.pk).update(
        description="MODEL-DESC-8Z", business_function="FUNCTION-8Z"
    )
    incident = declare(
        commander,
        fraud_model,
        title="INTERNAL-TITLE-8Z fraud FP surge",
        severity=1,
        scope="SCOPE-8Z",
        summary="SUMMARY-8Z",
        customer_experience="EXPERIENCE-8Z",
        regulatory_exposure="high",
        hours_ago=5,
    )
    Incident.objects.filter(pk=incident.pk).update(regulatory_notes="REGNOTE-8Z")
    publish_renditions(
        incident,
        commander,
        responder,
        regulator_liaison=sp_liaison,
        customer={"summary": "Some card payments were declined in error.", "body": "Please retry."},
        technical={"summary": "TECH-8Z rollback of v41-model-8Z", "body": "TECH-8Z body"},
        executive={"summary": "EXEC-8Z summary", "body": "EXEC-8Z body"},
        regulator={"summary": "REGULATOR-8Z disclosure", "body": "REGULATOR-8Z body"},
    )
    create_draft(
        incident=incident,
        by=commander,
        what_changed="DRAFT-8Z",
        renditions={"customer": {"summary": "DRAFT-8Z customer draft"}},
    )
    drill_model = MonitoredModel.objects.create(
        name="Drill model", slug="drill-model", team="t", business_function="f", risk_tier=3
    )
    drill = declare(commander, drill_model, title="DRILL-8Z", severity=1, is_drill=True)
    publish_renditions(
        drill, commander, responder, customer={"summary": "DRILL-8Z customer notice"}
    )
    return incident


def check_shapes(doc):
    assert set(doc["page"]) == PAGE_KEYS
    if "status" in doc:
        assert set(doc["status"]) == STATUS_KEYS
        assert doc["status"]["indicator"] in INDICATORS
        assert (
            doc["status"]["description"]
            == statuspage.INDICATOR_DESCRIPTION[doc["status"]["indicator"]]
        )
    for component in doc.get("components", []):
        assert set(component) == COMPONENT_KEYS and component["status"] in COMPONENT_STATUSES
    for incident in doc.get("incidents", []):
        assert set(incident) == INCIDENT_KEYS
        assert incident["status"] in INCIDENT_STATUSES and incident["impact"] in INDICATORS
        for component in incident["components"]:
            assert set(component) == COMPONENT_KEYS
        for update in incident["incident_updates"]:
            assert set(update) == UPDATE_KEYS and update["status"] in INCIDENT_STATUSES
            for affected in update["affected_components"]:
                assert set(affected) == AFFECTED_KEYS
                assert {affected["old_status"], affected["new_status"]} <= COMPONENT_STATUSES


@pytest.mark.parametrize("path", list(DOCUMENT_KEYS))
def test_every_endpoint_has_exactly_the_statuspage_shape(client, sp_planted, path):
    doc = get(client, path)
    assert set(doc) == DOCUMENT_KEYS[path]
    check_shapes(doc)
    if "scheduled_maintenances" in doc:
        assert doc["scheduled_maintenances"] == []  # none scheduled in these tests


def test_empty_page_is_operational(client, settings):
    settings.SITE_URL = "https://status.example.com"
    settings.STATUS_PAGE_NAME = "Example status"
    doc = get(client, "summary.json")
    assert doc["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert doc["incidents"] == [] and doc["components"] == []
    assert doc["page"]["name"] == "Example status"
    assert doc["page"]["url"] == "https://status.example.com/status/public/"
    assert doc["page"]["id"] == "icc" and doc["page"]["time_zone"] == "Etc/UTC"


def test_summary_shows_the_incident_in_customer_words(client, sp_planted, fraud_model):
    doc = get(client, "summary.json")
    assert doc["status"] == {"indicator": "critical", "description": "Major Service Outage"}
    [incident] = doc["incidents"]
    assert incident["id"] == f"inc-{sp_planted.pk}"
    assert incident["name"] == "Some card payments were declined in error."
    assert incident["status"] == "investigating" and incident["impact"] == "critical"
    assert incident["resolved_at"] is None and incident["monitoring_at"] is None
    [update] = incident["incident_updates"]
    assert update["body"] == "Some card payments were declined in error.\n\nPlease retry."
    assert update["incident_id"] == incident["id"] and update["status"] == "investigating"
    assert update["affected_components"] == [
        {
            "code": "model-fraud-scoring",
            "name": "Fraud scoring",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    components = {c["id"]: c for c in doc["components"]}
    assert components["model-fraud-scoring"]["status"] == "major_outage"
    assert components["model-drill-model"]["status"] == "operational"  # the drill does not count
    assert [c["id"] for c in incident["components"]] == ["model-fraud-scoring"]


def test_nothing_internal_or_drill_leaks(client, sp_planted):
    text = "".join(client.get(BASE + path).content.decode() for path in DOCUMENT_KEYS)
    for marker in SECRETS:
        assert marker not in text, marker
    assert "INC-" not in text


def test_incident_without_customer_rendition_is_absent(client, commander, responder, fraud_model):
    incident = declare(commander, fraud_model, title="Quiet", severity=1)
    publish_renditions(incident, commander, responder, technical={"summary": "tech only"})
    doc = get(client, "summary.json")
    assert doc["incidents"] == [] and doc["status"]["indicator"] == "none"
    assert doc["components"][0]["status"] == "operational"
    assert get(client, "incidents.json")["incidents"] == []


@pytest.mark.parametrize(
    "severity,impact,component,indicator,description",
    [
        (1, "critical", "major_outage", "critical", "Major Service Outage"),
        (2, "major", "partial_outage", "major", "Partial System Outage"),
        (3, "minor", "degraded_performance", "minor", "Minor Service Outage"),
        (4, "minor", "degraded_performance", "minor", "Minor Service Outage"),
    ],
)
def test_severity_mapping(
    client, commander, responder, fraud_model, severity, impact, component, indicator, description
):
    publish_renditions(
        declare(commander, fraud_model, severity=severity),
        commander,
        responder,
        customer={"summary": "Slow."},
    )
    doc = get(client, "summary.json")
    assert doc["incidents"][0]["impact"] == impact
    assert doc["components"][0]["status"] == component
    assert doc["status"] == {"indicator": indicator, "description": description}
    assert get(client, "status.json")["status"] == {
        "indicator": indicator,
        "description": description,
    }


def test_worst_incident_wins(client, commander, responder, fraud_model):
    publish_renditions(
        declare(commander, fraud_model, severity=3),
        commander,
        responder,
        customer={"summary": "Slow."},
    )
    publish_renditions(
        declare(commander, fraud_model, severity=2),
        commander,
        responder,
        customer={"summary": "Failing."},
    )
    doc = get(client, "summary.json")
    assert (
        doc["components"][0]["status"] == "partial_outage" and doc["status"]["indicator"] == "major"
    )


@pytest.mark.parametrize(
    "phases,status",
    [
        ([], "investigating"),
        ([Phase.CONTAINED], "monitoring"),
        ([Phase.ROOT_CAUSE_IDENTIFIED], "identified"),
        ([Phase.CONTAINED, Phase.ROOT_CAUSE_IDENTIFIED, Phase.RECOVERED], "monitoring"),
        ([Phase.RESOLVED], "resolved"),
        ([Phase.RESOLVED, Phase.REVIEWED], "postmortem"),
    ],
)
def test_phase_mapping(client, commander, responder, fraud_model, phases, status):
    incident = declare(commander, fraud_model, severity=2)
    publish_renditions(incident, commander, responder, customer={"summary": "First notice."})
    for phase in phases:
        workflows.reach_milestone(incident=incident, phase=phase, indicator="ok", by=commander)
    incident.refresh_from_db()
    [doc] = get(client, "incidents.json")["incidents"]
    assert doc["status"] == status
    unresolved = get(client, "incidents/unresolved.json")["incidents"]
    assert len(unresolved) == (0 if status in ("resolved", "postmortem") else 1)
    if status in ("resolved", "postmortem"):
        assert doc["resolved_at"] is not None
        assert get(client, "components.json")["components"][0]["status"] == "operational"
    if status == "monitoring":
        assert doc["monitoring_at"] is not None


def test_updates_record_the_status_at_their_time(client, commander, responder, fraud_model):
    incident = declare(commander, fraud_model, severity=1, hours_ago=4)
    publish_renditions(
        incident, commander, responder, customer={"summary": "First notice.", "body": ""}
    )
    workflows.reach_milestone(
        incident=incident, phase=Phase.CONTAINED, indicator="ok", by=commander
    )
    publish_renditions(
        incident, commander, responder, customer={"summary": "Second notice.", "body": "Details."}
    )
    resolve(incident, commander)
    publish_renditions(incident, commander, responder, customer={"summary": "Fixed."})
    [doc] = get(client, "incidents.json")["incidents"]
    assert doc["name"] == "First notice."  # the first customer summary names it
    assert [u["status"] for u in doc["incident_updates"]] == [
        "resolved",
        "monitoring",
        "investigating",
    ]
    assert [u["body"] for u in doc["incident_updates"]] == [
        "Fixed.",
        "Second notice.\n\nDetails.",
        "First notice.",
    ]
    assert [
        (a["old_status"], a["new_status"])
        for u in doc["incident_updates"]
        for a in u["affected_components"]
    ] == [
        ("major_outage", "operational"),
        ("major_outage", "major_outage"),
        ("operational", "major_outage"),
    ]
    assert doc["monitoring_at"] == doc["incident_updates"][1]["created_at"]
    assert doc["started_at"].startswith(incident.detected_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert doc["updated_at"] == doc["incident_updates"][0]["created_at"]


def test_incidents_lists_last_fifty_newest_first(client, commander, responder):
    for i in range(52):
        publish_renditions(
            declare(commander, None, title=f"I{i}", hours_ago=100 - i),
            commander,
            responder,
            customer={"summary": f"Notice {i}"},
        )
    names = [i["name"] for i in get(client, "incidents.json")["incidents"]]
    assert names == [f"Notice {i}" for i in range(51, 1, -1)]


def test_no_auth_cors_etag_304_and_changes(client, commander, responder, fraud_model):
    first = client.get(BASE + "summary.json")
    assert first.status_code == 200 and first["Access-Control-Allow-Origin"] == "*"
    assert first["Cache-Control"] == "public, no-cache" and "sessionid" not in first.cookies
    again = client.get(BASE + "summary.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["Access-Control-Allow-Origin"] == "*"
    incident = declare(commander, fraud_model)
    publish_renditions(incident, commander, responder, customer={"summary": "New notice."})
    changed = client.get(BASE + "summary.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and "New notice." in changed.content.decode()
    assert client.head(BASE + "status.json").status_code == 200


@pytest.mark.parametrize("path", list(DOCUMENT_KEYS))
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_and_head(client, path, method):
    assert getattr(client, method)(BASE + path).status_code == 405


def test_unknown_path_is_404(client):
    assert client.get(BASE + "nothing.json").status_code == 404


@pytest.mark.parametrize("incidents", [5, 50])
@pytest.mark.parametrize(
    "path,queries",
    [
        # components: models, incident links, maintenance links; maintenance: rows,
        # their updates, their components
        ("summary.json", 12),
        ("incidents.json", 9),
        ("incidents/unresolved.json", 9),
        ("components.json", 5),
        ("status.json", 3),
        ("scheduled-maintenances.json", 8),
        ("scheduled-maintenances/upcoming.json", 8),
        ("scheduled-maintenances/active.json", 8),
    ],
)
def test_queries_are_constant(
    client, commander, responder, fraud_model, incidents, path, queries, django_assert_num_queries
):
    for i in range(incidents):
        incident = declare(commander, fraud_model, title=f"Incident {i}", severity=1 + i % 4)
        if i % 2:
            publish_renditions(incident, commander, responder, customer={"summary": f"Notice {i}"})
    for i in range(incidents // 5 + 1):
        maintenance = announced_maintenance(commander, fraud_model, hours_ahead=i - 1)
        if i % 2:
            start_maintenance(maintenance, by=commander)
    with django_assert_num_queries(queries):  # version + last publication + the document's queries
        cold = client.get(BASE + path)
    assert cold.status_code == 200
    with django_assert_num_queries(1):  # warm: the version only
        assert client.get(BASE + path).status_code == 200
