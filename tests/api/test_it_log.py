from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from incidents.decision_log import triggers as log_triggers
from incidents.decision_log.models import DecisionLogEntry
from incidents.decisions import request_decision
from incidents.services import assign_role
from tests.helpers import census, error_fields, token_client


def log_url(incident, tail: str = "") -> str:
    return f"/api/v1/incidents/{incident.pk}/log/{tail}"


def test_it_lists_the_log_in_sequence(api, incident):
    r = api.get(log_url(incident))
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [row["sequence"] for row in rows] == [1, 2]
    assert [row["kind"] for row in rows] == ["declaration", "role_change"]
    first = rows[0]
    assert set(first) == {
        "sequence",
        "kind",
        "recorded_at",
        "actor_label",
        "actor_role",
        "summary",
        "data",
        "corrects",
        "prev_hash",
        "hash",
    }
    assert first["prev_hash"] == "0" * 64
    assert rows[1]["prev_hash"] == first["hash"]
    assert first["actor_label"] == "Cara Commander (cara)"


@pytest.mark.parametrize("kind", ["note", "action"])
def test_it_appends_notes_and_actions(api, incident, kind):
    r = api.post(
        log_url(incident), {"kind": kind, "text": "Paused the retraining job"}, format="json"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["kind"] == kind and r.json()["sequence"] == 3
    assert r.json()["summary"] == "Paused the retraining job"


def test_it_appends_a_reference(api, incident):
    r = api.post(
        log_url(incident),
        {"kind": "reference", "ref_kind": "commit", "ref": "9f1c2ab"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["data"] == {"ref_kind": "commit", "ref": "9f1c2ab"}


def test_it_records_a_decision_settling_a_request(api, incident, responder):
    request = request_decision(
        incident=incident, by=responder, decision_type="rollback_model", question="Roll back?"
    )
    r = api.post(
        log_url(incident),
        {
            "kind": "decision",
            "decision_type": "rollback_model",
            "decision": "Roll back to v41",
            "rationale": "v42 doubled the FP rate",
            "options_considered": ["raise threshold", "roll back"],
            "reversible": True,
            "settles": request.sequence,
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["kind"] == "decision" and body["actor_role"] == "commander"
    assert body["data"]["settles"] == request.sequence
    assert body["data"]["options_considered"] == ["raise threshold", "roll back"]


def test_it_requests_a_decision(client_for, incident, responder):
    r = client_for("responder").post(
        log_url(incident),
        {
            "kind": "decision_request",
            "decision_type": "customer_notice",
            "question": "Notify customers?",
            "needed_by": "2030-01-01T10:00:00+01:00",
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["data"]["needed_by"] == "2030-01-01T09:00:00+00:00"


def test_it_appends_a_correction_naming_its_entry(api, incident):
    r = api.post(
        log_url(incident),
        {"kind": "correction", "corrects": 1, "text": "Scope was EU and UK"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["corrects"] == 1
    listed = api.get(log_url(incident)).json()["results"]
    assert [row["corrects"] for row in listed] == [None, None, 1]
    assert DecisionLogEntry.objects.get(incident=incident, sequence=1).summary.startswith(
        "Declared SEV2"
    )


def test_it_refuses_a_decision_without_the_right(client_for, incident, responder, commander):
    assign_role(incident=incident, role="scribe", user=responder, by=commander)
    before = census()
    r = client_for("responder").post(
        log_url(incident),
        {
            "kind": "decision",
            "decision_type": "rollback_model",
            "decision": "Roll back",
            "rationale": "FP",
        },
        format="json",
    )
    assert r.status_code == 403
    assert "Incident commander" in r.json()["error"]["message"]
    assert "Engineering / SRE liaison" in r.json()["error"]["message"]
    assert "decision_type" in error_fields(r)
    assert census() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "kind"),
        ({"kind": "gossip", "text": "x"}, "kind"),
        ({"kind": "declaration", "text": "x"}, "kind"),
        ({"kind": "milestone", "text": "x"}, "kind"),
        ({"kind": "note"}, "text"),
        ({"kind": "note", "text": "  "}, "text"),
        ({"kind": "reference", "ref_kind": "tweet", "ref": "x"}, "ref_kind"),
        ({"kind": "reference", "ref_kind": "commit"}, "ref"),
        ({"kind": "decision", "decision_type": "rollback_model", "decision": "x"}, "rationale"),
        (
            {"kind": "decision", "decision_type": "coin_toss", "decision": "x", "rationale": "y"},
            "decision_type",
        ),
        (
            {
                "kind": "decision",
                "decision_type": "rollback_model",
                "decision": "x",
                "rationale": "y",
                "approved_by": "nobody",
            },
            "approved_by",
        ),
        (
            {
                "kind": "decision",
                "decision_type": "rollback_model",
                "decision": "x",
                "rationale": "y",
                "settles": 99,
            },
            "settles",
        ),
        (
            {
                "kind": "decision",
                "decision_type": "rollback_model",
                "decision": "x",
                "rationale": "y",
                "settles": 1,
            },
            "settles",
        ),
        (
            {
                "kind": "decision",
                "decision_type": "rollback_model",
                "decision": "x",
                "rationale": "y",
                "options_considered": "roll back",
            },
            "options_considered",
        ),
        ({"kind": "decision_request", "decision_type": "rollback_model"}, "question"),
        (
            {
                "kind": "decision_request",
                "decision_type": "rollback_model",
                "question": "q",
                "needed_by": "2030-01-01T10:00:00",
            },
            "needed_by",
        ),
        ({"kind": "correction", "text": "x"}, "corrects"),
        ({"kind": "correction", "corrects": 42, "text": "x"}, "corrects"),
        ({"kind": "correction", "corrects": "one", "text": "x"}, "corrects"),
    ],
)
def test_it_refuses_bad_entries(api, incident, body, field):
    before = census()
    r = api.post(log_url(incident), body, format="json")
    assert r.status_code == 400, r.json()
    assert field in error_fields(r)
    assert census() == before


def test_it_refuses_a_correction_of_another_incidents_entry(api, incident, commander):
    from incidents.services import declare_incident

    declare_incident(by=commander, title="Other", severity=4)
    before = census()
    # Sequence 1 of *this* incident exists; the other incident's entries are not reachable by sequence.
    r = api.post(
        log_url(incident), {"kind": "correction", "corrects": 3, "text": "x"}, format="json"
    )
    assert r.status_code == 400
    assert "corrects" in error_fields(r)
    assert census() == before


def test_it_shows_one_entry_by_sequence(api, incident):
    r = api.get(log_url(incident, "2/"))
    assert r.status_code == 200
    assert r.json()["kind"] == "role_change" and r.json()["sequence"] == 2
    assert api.get(log_url(incident, "3/")).status_code == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("tail", ["1/", "", "verify/"])
def test_it_never_changes_or_deletes_entries(api, incident, method, tail):
    entry = DecisionLogEntry.objects.get(incident=incident, sequence=1)
    before = census()
    r = getattr(api, method)(
        log_url(incident, tail), {"summary": "rewritten", "kind": "note"}, format="json"
    )
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert census() == before
    again = DecisionLogEntry.objects.get(pk=entry.pk)
    assert (again.summary, again.hash) == (entry.summary, entry.hash)


def test_it_verifies_an_intact_chain(api, incident):
    api.post(log_url(incident), {"kind": "note", "text": "n"}, format="json")
    r = api.get(log_url(incident, "verify/"))
    assert r.status_code == 200
    head = DecisionLogEntry.objects.get(incident=incident, sequence=3).hash
    # #10 added status, detail and checkpoint; without a signing key the chain is "unsigned".
    assert r.json() == {
        "incident": incident.pk,
        "valid": True,
        "status": "unsigned",
        "detail": "no signed checkpoint yet: the chain is only internally consistent",
        "entries": 3,
        "first_broken": None,
        "head": head,
        "checkpoint": None,
    }


def test_the_database_refuses_raw_sql_updates(incident):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {log_triggers.TABLE} SET summary = %s WHERE incident_id = %s",
            ["x", incident.pk],
        )


def test_it_reports_the_first_broken_link_after_tampering(api, incident):
    api.post(log_url(incident), {"kind": "note", "text": "original"}, format="json")
    api.post(log_url(incident), {"kind": "note", "text": "later"}, format="json")
    tampered = DecisionLogEntry.objects.get(incident=incident, sequence=3)
    log_triggers.drop_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {log_triggers.TABLE} SET summary = %s WHERE id = %s",
                ["nothing happened", tampered.pk],
            )
    finally:
        log_triggers.install_triggers(connection)
    r = api.get(log_url(incident, "verify/"))
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is False
    assert body["entries"] == 4
    assert body["first_broken"]["sequence"] == 3
    assert body["first_broken"]["id"] == tampered.pk
    assert "altered" in body["first_broken"]["reason"]


def test_verify_reports_a_removed_entry(api, incident):
    api.post(log_url(incident), {"kind": "note", "text": "n"}, format="json")
    log_triggers.drop_triggers(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {log_triggers.TABLE} WHERE incident_id = %s AND sequence = 2",
                [incident.pk],
            )
    finally:
        log_triggers.install_triggers(connection)
    body = token_client(incident.created_by).get(log_url(incident, "verify/")).json()
    assert body["valid"] is False
    assert body["first_broken"]["sequence"] == 3
    assert "missing" in body["first_broken"]["reason"]
