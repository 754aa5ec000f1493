"""Status updates through the API: draft, jargon, sign-off, publish; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import Deadline, Delivery, Rendition, StatusUpdate
from comms.subscriptions import create_subscription
from incidents.decision_log.models import DecisionLogEntry
from tests.builders import declare_via_api, draft_body, jargon_terms
from tests.helpers import error_fields, snapshot, token_client

P95 = "Checkout p95 latency is above 300 ms, so some customers abandon their basket."


@pytest.fixture
def declared(api, fraud_model):
    jargon_terms()
    return declare_via_api(api, models=[{"slug": "fraud-scoring"}])


def updates_url(incident: dict, suffix: str = "") -> str:
    return f"/api/v1/incidents/{incident['id']}/updates/{suffix}"


def open_deadlines(incident: dict) -> dict[str, Deadline]:
    return {d.audience: d for d in Deadline.objects.open().filter(incident_id=incident["id"])}


def test_declaring_through_the_api_opens_one_deadline_per_audience_of_the_severity(api, declared):
    deadlines = open_deadlines(declared)
    # SEV2 by default: technical, executive and customer; the regulator only at SEV1.
    assert set(deadlines) == {"technical", "executive", "customer"}
    assert all(
        d.cadence_minutes == 30 and d.due_at - d.opened_at == timedelta(minutes=30)
        for d in deadlines.values()
    )


def test_a_draft_with_jargon_needs_an_acknowledgement_that_the_log_records(
    api, declared, executive
):
    create_subscription(by=executive, name="Exec", audience="executive")
    body = draft_body(
        technical={"summary": "p95 at 900 ms"}, executive={"summary": "Checkouts slow", "body": P95}
    )
    created = api.post(updates_url(declared), body, format="json")
    assert created.status_code == 201, created.content
    update = created.json()
    assert update["status"] == "draft" and update["number"] == 1 and update["author"] == "cara"
    assert created["Location"] == updates_url(declared, "1/")
    assert [r["audience"] for r in update["renditions"]] == ["executive", "technical"]

    jargon = api.get(updates_url(declared, "1/jargon/")).json()
    assert jargon["flagged"] is True
    # The technical rendition's "p95" is its own business; only the executive one is flagged.
    assert [(m["audience"], m["field"], m["matched"]) for m in jargon["matches"]] == [
        ("executive", "body", "p95 latency")
    ]
    match = jargon["matches"][0]
    assert P95[match["start"] : match["end"]] == "p95 latency"
    assert match["slug"] == "p95" and "slowest" in match["plain_definition"]

    before = snapshot()
    refused = api.post(updates_url(declared, "1/publish/"), {}, format="json")
    assert refused.status_code == 400
    assert "p95 latency (executive)" in error_fields(refused)["acknowledge_jargon"][0]
    assert snapshot() == before

    published = api.post(
        updates_url(declared, "1/publish/"), {"acknowledge_jargon": True}, format="json"
    )
    assert published.status_code == 200, published.content
    update = published.json()
    assert update["status"] == "published" and update["published_by"] == "cara"
    assert update["jargon_acknowledged_by"] == "cara"
    entry = DecisionLogEntry.objects.get(
        incident_id=declared["id"], sequence=update["log_sequence"]
    )
    assert entry.kind == "update_published"
    assert entry.data["jargon_acknowledged"] == [
        {"audience": "executive", "term": "p95", "matched": "p95 latency"}
    ]
    # The executive subscriber's inbox and e-mail rows are written with the publication.
    assert Delivery.objects.filter(update__number=1, user=executive).count() == 2


def test_publishing_fulfils_the_deadlines_and_opens_the_next(api, declared):
    before = open_deadlines(declared)
    api.post(updates_url(declared), draft_body(), format="json")
    assert api.post(updates_url(declared, "1/publish/"), {}, format="json").status_code == 200
    technical = Deadline.objects.get(pk=before["technical"].pk)
    assert technical.outcome == "met" and technical.fulfilled_by.number == 1
    after = open_deadlines(declared)
    assert after["technical"].pk != technical.pk and after["technical"].opened_by.number == 1
    # Audiences the update did not address keep their deadline.
    assert after["executive"].pk == before["executive"].pk


def test_a_published_update_cannot_be_edited_published_again_or_deleted(api, declared):
    api.post(updates_url(declared), draft_body(), format="json")
    assert api.post(updates_url(declared, "1/publish/"), {}, format="json").status_code == 200
    before = snapshot()

    edit = api.patch(
        updates_url(declared, "1/"), {"what_changed": "Rewritten history"}, format="json"
    )
    assert edit.status_code == 409 and edit.json()["error"]["code"] == "conflict"
    renditions = {"technical": {"summary": "Rewritten"}}
    assert (
        api.patch(
            updates_url(declared, "1/"), {"renditions": renditions}, format="json"
        ).status_code
        == 409
    )
    again = api.post(
        updates_url(declared, "1/publish/"), {"acknowledge_jargon": True}, format="json"
    )
    assert again.status_code == 409 and "published" in again.json()["error"]["message"]
    assert api.post(updates_url(declared, "1/submit/")).status_code == 409
    assert api.delete(updates_url(declared, "1/")).status_code == 405
    assert api.put(updates_url(declared, "1/"), draft_body(), format="json").status_code == 405
    assert snapshot() == before


def test_a_correction_names_the_update_it_corrects(api, declared):
    api.post(updates_url(declared), draft_body(), format="json")
    before = snapshot()
    # A draft cannot be corrected: it can still be edited.
    draft_correction = api.post(
        updates_url(declared), {**draft_body(), "corrects": 1}, format="json"
    )
    assert draft_correction.status_code == 400 and "corrects" in error_fields(draft_correction)
    assert snapshot() == before
    api.post(updates_url(declared, "1/publish/"), {}, format="json")
    correction = api.post(updates_url(declared), {**draft_body(), "corrects": 1}, format="json")
    assert correction.status_code == 201 and correction.json()["corrects"] == 1


def test_editing_a_draft_changes_only_what_is_given(api, declared):
    api.post(updates_url(declared), draft_body(), format="json")
    edited = api.patch(
        updates_url(declared, "1/"), {"current_impact": "2,400 customers"}, format="json"
    )
    assert edited.status_code == 200
    update = edited.json()
    assert update["current_impact"] == "2,400 customers"
    assert update["what_changed"] == "Rolled the fraud model back to v41."
    assert [r["summary"] for r in update["renditions"]] == ["v41 live; FP rate 1.8 %"]
    # Renditions, when given, replace the whole set.
    renditions = {"executive": {"summary": "Payments work again"}}
    update = api.patch(
        updates_url(declared, "1/"), {"renditions": renditions}, format="json"
    ).json()
    assert [r["audience"] for r in update["renditions"]] == ["executive"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"renditions": {}}, "renditions"),
        ({"renditions": {"marketing": {"summary": "Hi"}}}, "renditions.marketing"),
        ({"renditions": {"executive": {"summary": "x" * 501}}}, "renditions.executive.summary"),
        ({"renditions": {"executive": {"body": "No summary"}}}, "renditions.executive.summary"),
        ({"renditions": ["technical"]}, "renditions"),
        ({"what_changed": ""}, "what_changed"),
        ({"next_update_at": "2030-01-01T12:00:00"}, "next_update_at"),
        ({"next_update_at": "2020-01-01T12:00:00Z"}, "next_update_at"),
        ({"corrects": 99}, "corrects"),
        ({"corrects": "one"}, "corrects"),
    ],
)
def test_a_bad_draft_is_refused_naming_the_field(api, declared, change, field):
    before = snapshot()
    response = api.post(updates_url(declared), {**draft_body(), **change}, format="json")
    assert response.status_code == 400, response.content
    assert field in error_fields(response), error_fields(response)
    assert snapshot() == before


def test_an_empty_edit_is_refused(api, declared):
    api.post(updates_url(declared), draft_body(), format="json")
    before = snapshot()
    response = api.patch(updates_url(declared, "1/"), {}, format="json")
    assert response.status_code == 400 and "non_field_errors" in error_fields(response)
    assert snapshot() == before


def test_only_the_commander_or_comms_lead_publishes(declared, api, responder, admin_user):
    api.post(updates_url(declared), draft_body(), format="json")
    before = snapshot()
    for user in (responder, admin_user):
        response = token_client(user).post(updates_url(declared, "1/publish/"), {}, format="json")
        assert response.status_code == 403
        error_fields(response)
    assert snapshot() == before


# --- Regulator renditions --------------------------------------------------------------------


@pytest.fixture
def liaison(api, declared, commander2):
    response = api.post(
        f"/api/v1/incidents/{declared['id']}/roles/",
        {"role": "liaison_regulator", "user": "conor"},
        format="json",
    )
    assert response.status_code == 201
    return token_client(commander2)


REGULATOR = {
    "summary": "No customer data was exposed.",
    "body": "Card numbers never left the scoring service.",
}


def test_a_regulator_rendition_is_published_only_after_the_liaisons_sign_off(
    api, declared, liaison, responder, regulator
):
    viewer = token_client(regulator)
    body = draft_body(technical={"summary": "v41 live"}, regulator=REGULATOR)
    assert api.post(updates_url(declared), body, format="json").status_code == 201

    before = snapshot()
    early = api.post(updates_url(declared, "1/publish/"), {}, format="json")
    assert early.status_code == 409 and "renditions.regulator" in error_fields(early)
    assert snapshot() == before

    submitted = api.post(updates_url(declared, "1/submit/"))
    assert submitted.status_code == 200 and submitted.json()["status"] == "awaiting_signoff"

    before = snapshot()
    for who in (token_client(responder), api):  # a responder; the IC, who is not the liaison
        refused = who.post(updates_url(declared, "1/sign-off/"))
        assert refused.status_code == 403 and "liaison" in refused.json()["error"]["message"]
    assert snapshot() == before

    signed = liaison.post(updates_url(declared, "1/sign-off/"))
    assert signed.status_code == 200
    rendition = next(r for r in signed.json()["renditions"] if r["audience"] == "regulator")
    assert rendition["signed_off_by"] == "conor" and rendition["signed_off_at"]
    assert DecisionLogEntry.objects.filter(incident_id=declared["id"], kind="sign_off").count() == 1
    assert liaison.post(updates_url(declared, "1/sign-off/")).status_code == 409

    # Signed off but not yet published: the regulator channel is still empty.
    assert viewer.get("/api/v1/regulator/updates/").json()["results"] == []
    assert api.post(updates_url(declared, "1/publish/"), {}, format="json").status_code == 200

    listed = viewer.get("/api/v1/regulator/updates/").json()["results"]
    assert [(r["incident_reference"], r["update"], r["summary"], r["body"]) for r in listed] == [
        (f"INC-{declared['id']}", 1, REGULATOR["summary"], REGULATOR["body"])
    ]
    assert listed[0]["published_at"] and listed[0]["incident_title"] == declared["title"]
    one = viewer.get(f"/api/v1/regulator/updates/{listed[0]['id']}/")
    assert one.status_code == 200 and one.json()["summary"] == REGULATOR["summary"]
    # Only that: the technical rendition and the update itself stay out of reach.
    assert viewer.get(updates_url(declared)).status_code == 403
    assert viewer.get(updates_url(declared, "1/")).status_code == 403
    technical = Rendition.objects.get(update__number=1, audience="technical")
    assert viewer.get(f"/api/v1/regulator/updates/{technical.pk}/").status_code == 404


def test_changing_the_regulator_rendition_voids_its_sign_off(api, declared, liaison):
    api.post(updates_url(declared), draft_body(regulator=REGULATOR), format="json")
    liaison.post(updates_url(declared, "1/sign-off/"))
    edited = api.patch(
        updates_url(declared, "1/"),
        {"renditions": {"regulator": {"summary": "Changed"}}},
        format="json",
    )
    assert edited.status_code == 200
    assert edited.json()["renditions"][0]["signed_off_by"] is None
    assert api.post(updates_url(declared, "1/publish/"), {}, format="json").status_code == 409


def test_submitting_without_a_regulator_rendition_is_refused(api, declared):
    api.post(updates_url(declared), draft_body(), format="json")
    before = snapshot()
    response = api.post(updates_url(declared, "1/submit/"))
    assert response.status_code == 400 and "renditions" in error_fields(response)
    assert snapshot() == before


# --- Who reads what --------------------------------------------------------------------------


def test_executives_read_published_updates_only_and_never_write(api, declared, executive):
    api.post(updates_url(declared), draft_body(), format="json")
    api.post(updates_url(declared, "1/publish/"), {}, format="json")
    api.post(
        updates_url(declared), draft_body(executive={"summary": "Still a draft"}), format="json"
    )
    eve = token_client(executive)
    assert [u["number"] for u in eve.get(updates_url(declared)).json()["results"]] == [1]
    assert [u["number"] for u in api.get(updates_url(declared)).json()["results"]] == [2, 1]
    assert eve.get(updates_url(declared, "2/")).status_code == 404
    assert eve.get(updates_url(declared, "2/jargon/")).status_code == 404
    before = snapshot()
    assert eve.post(updates_url(declared), draft_body(), format="json").status_code == 403
    assert (
        eve.patch(updates_url(declared, "2/"), {"what_changed": "x"}, format="json").status_code
        == 403
    )
    assert eve.post(updates_url(declared, "2/publish/"), {}, format="json").status_code == 403
    assert snapshot() == before


def test_the_list_filters_by_status(api, declared):
    api.post(updates_url(declared), draft_body(), format="json")
    api.post(updates_url(declared, "1/publish/"), {}, format="json")
    api.post(updates_url(declared), draft_body(), format="json")
    assert [
        u["number"] for u in api.get(updates_url(declared) + "?status=draft").json()["results"]
    ] == [2]
    bad = api.get(updates_url(declared) + "?status=lost")
    assert bad.status_code == 400 and "status" in error_fields(bad)


def test_unknown_incidents_and_updates_are_404(api, declared):
    assert api.get("/api/v1/incidents/999999/updates/").status_code == 404
    assert api.get(updates_url(declared, "7/")).status_code == 404
    assert api.post(updates_url(declared, "7/publish/"), {}, format="json").status_code == 404


def test_severity_changes_replan_and_resolving_closes_deadlines(api, declared):
    severity = api.post(
        f"/api/v1/incidents/{declared['id']}/severity/",
        {"severity": 3, "reason": "Contained to one region"},
        format="json",
    )
    assert severity.status_code == 200
    deadlines = open_deadlines(declared)
    # SEV3 drops the customer audience and moves the rest to a 60-minute cadence.
    assert set(deadlines) == {"technical", "executive"}
    assert {d.cadence_minutes for d in deadlines.values()} == {60}
    assert Deadline.objects.filter(
        incident_id=declared["id"], audience="customer", cancelled_at__isnull=False
    ).exists()

    resolved = api.post(
        f"/api/v1/incidents/{declared['id']}/milestones/",
        {
            "phase": "resolved",
            "indicator": "FP < 2 % for 2 h",
            "reached_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert resolved.status_code == 201, resolved.content
    assert open_deadlines(declared) == {}
    assert StatusUpdate.objects.count() == 0
