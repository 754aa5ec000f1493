"""Incident pages: access per persona, POST-then-redirect mutations, query counts."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import decisions, services
from incidents.choices import DecisionType, EntryKind, Phase, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.decision_log.verify import verify_chain
from incidents.models import Incident, Milestone, MonitoredModel, Playbook, RoleAssignment

pytestmark = pytest.mark.django_db


def list_url(**params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("incidents:list") + (f"?{query}" if query else "")


def detail_url(incident: Incident) -> str:
    return reverse("incidents:detail", args=[incident.pk])


def post_url(incident: Incident, name: str) -> str:
    return reverse(f"incidents:{name}", args=[incident.pk])


def entries(incident: Incident) -> int:
    return DecisionLogEntry.objects.filter(incident=incident).count()


# --- access per persona ------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["list", "declare", "detail", "add_note", "record_decision", "reach_milestone", "assign_role"],
)
def test_it_sends_anonymous_visitors_to_login(client, incident, name):
    url = reverse(
        f"incidents:{name}", args=[incident.pk] if name not in ("list", "declare") else []
    )
    response = client.post(url) if name not in ("list", "declare", "detail") else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("commander", 200),
        ("responder", 200),
        ("executive", 200),
        ("admin_user", 200),
        ("regulator", 403),
        ("outsider", 403),
    ],
)
def test_it_serves_list_and_detail_by_persona(client, request, incident, persona, status):
    client.force_login(request.getfixturevalue(persona))
    for url in (list_url(), detail_url(incident)):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 200:
            assert incident.title in response.text


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("commander", 200),
        ("admin_user", 200),
        ("responder", 403),
        ("executive", 403),
        ("regulator", 403),
        ("outsider", 403),
    ],
)
def test_it_serves_declare_form_to_commander_eligible_only(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("incidents:declare")).status_code == status


def test_it_shows_executives_no_write_controls(client, executive, incident):
    client.force_login(executive)
    page = client.get(detail_url(incident)).text
    assert 'method="post" action="/incidents/' not in page
    assert "Add a note" not in page
    assert "Declare an incident" not in client.get(list_url()).text


def test_it_shows_commanders_their_write_controls(client, commander, incident):
    client.force_login(commander)
    page = client.get(detail_url(incident)).text
    for name in ("add_note", "record_decision", "reach_milestone", "assign_role"):
        assert f'action="{post_url(incident, name)}"' in page, name


@pytest.mark.parametrize("name", ["add_note", "record_decision", "reach_milestone", "assign_role"])
@pytest.mark.parametrize("persona", ["executive", "regulator", "outsider"])
def test_it_refuses_every_post_from_readers_and_outsiders(client, request, incident, persona, name):
    client.force_login(request.getfixturevalue(persona))
    before = entries(incident)
    response = client.post(
        post_url(incident, name),
        {"note-text": "hello", "milestone-phase": "contained", "milestone-indicator": "ok"},
    )
    assert response.status_code == 403
    assert entries(incident) == before


def test_it_refuses_get_on_post_endpoints(client, commander, incident):
    client.force_login(commander)
    assert client.get(post_url(incident, "add_note")).status_code == 405


# --- list ----------------------------------------------------------------------------


@pytest.fixture
def mixed_incidents(commander, fraud_model):
    recommender = MonitoredModel.objects.create(
        name="Recommendations",
        slug="recommendations",
        team="Personalisation",
        business_function="Recommend products",
        risk_tier=3,
    )
    real = services.declare_incident(
        by=commander, title="Fraud surge", severity=1, models=[(fraud_model, "")]
    )
    drill = services.declare_incident(
        by=commander, title="Latency drill", severity=3, is_drill=True, models=[(recommender, "")]
    )
    services.reach_milestone(
        incident=drill, phase=Phase.CONTAINED, indicator="p95 < 300 ms", by=commander
    )
    return real, drill


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"severity": "1"}, "Fraud surge", "Latency drill"),
        ({"phase": "contained"}, "Latency drill", "Fraud surge"),
        ({"model": "recommendations"}, "Latency drill", "Fraud surge"),
        ({"drill": "drill"}, "Latency drill", "Fraud surge"),
        ({"drill": "real"}, "Fraud surge", "Latency drill"),
    ],
)
def test_it_filters_the_list(client, commander, mixed_incidents, params, shown, hidden):
    client.force_login(commander)
    page = client.get(list_url(**params)).text
    assert shown in page
    assert hidden not in page


def test_it_lists_reference_severity_phase_models_and_commander(client, executive, mixed_incidents):
    real, _ = mixed_incidents
    client.force_login(executive)
    page = client.get(list_url()).text
    assert real.reference in page
    assert "SEV1" in page and "Contained" in page and "Recommendations" in page
    assert "Cara Commander" in page
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" title="[^"]+ UTC">', page)


def test_it_rejects_a_bad_filter(client, commander, mixed_incidents):
    client.force_login(commander)
    response = client.get(list_url(severity="9"))
    assert response.status_code == 400
    assert "Fraud surge" not in response.text


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _declare_many(commander, responder, model, n: int) -> None:
    for i in range(n):
        incident = services.declare_incident(
            by=commander, title=f"Incident {i}", severity=1 + i % 4, models=[(model, "")]
        )
        services.assign_role(incident=incident, role=Role.SCRIBE, user=responder, by=commander)


def test_it_lists_with_a_constant_number_of_queries(client, commander, responder, fraud_model):
    client.force_login(commander)
    _declare_many(commander, responder, fraud_model, 5)
    few = _queries(client, list_url())
    _declare_many(commander, responder, fraud_model, 45)
    assert Incident.objects.count() == 50
    assert _queries(client, list_url()) == few
    assert _queries(client, list_url(model=fraud_model.slug)) <= few + 1


# --- detail ----------------------------------------------------------------------------


def _grow_log(incident: Incident, commander, responder, n: int) -> None:
    for i in range(n):
        note = decisions.add_note(incident=incident, by=responder, text=f"Observation {i}")
        if i % 3 == 0:
            decisions.correct_entry(
                incident=incident, entry=note, by=responder, text=f"Correction {i}"
            )
        if i % 4 == 0:
            decisions.record_decision(
                incident=incident,
                by=commander,
                decision_type=DecisionType.OTHER,
                decision=f"Decision {i}",
                rationale="Because",
                options_considered=["a", "b"],
            )


def test_it_renders_detail_with_a_constant_number_of_queries(
    client, commander, responder, incident
):
    client.force_login(commander)
    _grow_log(incident, commander, responder, 3)
    few_entries = entries(incident)
    few = _queries(client, detail_url(incident))
    _grow_log(incident, commander, responder, 30)
    assert entries(incident) >= few_entries + 40
    assert _queries(client, detail_url(incident)) == few


def test_it_shows_the_log_as_a_timeline_with_corrections_linked(
    client, executive, commander, responder, incident
):
    note = decisions.add_note(incident=incident, by=responder, text="Cache restarted at 10:40")
    correction = decisions.correct_entry(
        incident=incident, entry=note, by=responder, text="It was 11:40"
    )
    decision = decisions.record_decision(
        incident=incident,
        by=commander,
        decision_type=DecisionType.ROLLBACK_MODEL,
        decision="Roll back to v41",
        rationale="v41 is known good",
        options_considered=["Raise threshold", "Roll back"],
        reversible=False,
    )
    client.force_login(executive)
    page = client.get(detail_url(incident)).text
    assert f'id="entry-{note.sequence}"' in page
    assert f'Corrects <a href="#entry-{note.sequence}">entry #{note.sequence}</a>' in page
    assert (
        f'Corrected by <a href="#entry-{correction.sequence}">entry #{correction.sequence}</a>'
        in page
    )
    assert decision.hash[:12] in page
    assert "v41 is known good" in page and "Raise threshold" in page
    assert "Roll back a model, taken as Incident commander" in page
    assert "$42,000" in page and "1200" in page


def test_it_shows_role_history(client, commander, commander2, incident):
    services.assign_role(
        incident=incident, role=Role.COMMANDER, user=commander2, by=commander, note="Shift change"
    )
    client.force_login(commander)
    page = client.get(detail_url(incident)).text
    assert "History (1)" in page
    assert "Cara Commander:" in page and "(Declaring commander)" in page


def test_it_404s_for_a_missing_incident(client, commander):
    client.force_login(commander)
    assert client.get(reverse("incidents:detail", args=[999])).status_code == 404


# --- declaring -------------------------------------------------------------------------------


def declare_data(fraud_model, **overrides):
    data = {
        "title": "Recommender latency spike",
        "severity": "2",
        "models": [str(fraud_model.pk)],
        "scope": "Checkout",
        "customers_affected": "300",
        "revenue_at_risk_per_hour": "2400",
        "regulatory_exposure": "low",
        "detection_indicator": "p95 640 ms",
    }
    data.update(overrides)
    return data


def test_it_declares_an_incident(client, commander, fraud_model):
    client.force_login(commander)
    response = client.post(reverse("incidents:declare"), declare_data(fraud_model))
    incident = Incident.objects.get(title="Recommender latency spike")
    assert response.status_code == 302
    assert response["Location"] == detail_url(incident)
    assert incident.severity == 2 and incident.customers_affected == 300
    assert list(incident.affected_models.all()) == [fraud_model]
    assert (
        RoleAssignment.objects.active().get(incident=incident, role=Role.COMMANDER).user
        == commander
    )
    assert verify_chain(incident.pk).valid


def test_it_refuses_an_invalid_declaration_and_writes_nothing(client, commander, fraud_model):
    client.force_login(commander)
    response = client.post(
        reverse("incidents:declare"), declare_data(fraud_model, title="", customers_affected="-1")
    )
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert "greater than or equal to 0" in response.text
    assert not Incident.objects.exists()


def test_it_refuses_declaration_posts_from_non_commanders(
    client, responder, executive, fraud_model
):
    for user in (responder, executive):
        client.force_login(user)
        assert (
            client.post(reverse("incidents:declare"), declare_data(fraud_model)).status_code == 403
        )
    assert not Incident.objects.exists()


# --- notes ----------------------------------------------------------------------------------


def test_it_adds_a_note(client, responder, incident):
    client.force_login(responder)
    response = client.post(post_url(incident, "add_note"), {"note-text": "Null rate 21 %"})
    assert response.status_code == 302
    assert response["Location"].startswith(detail_url(incident))
    last = DecisionLogEntry.objects.filter(incident=incident).order_by("-sequence").first()
    assert (last.kind, last.summary, last.actor) == (EntryKind.NOTE, "Null rate 21 %", responder)
    assert verify_chain(incident.pk).valid


def test_it_refuses_a_blank_note(client, commander, incident):
    client.force_login(commander)
    before = entries(incident)
    response = client.post(post_url(incident, "add_note"), {"note-text": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert entries(incident) == before


# --- decisions --------------------------------------------------------------------------------


def decision_data(**overrides):
    data = {
        "decision-decision_type": DecisionType.ROLLBACK_MODEL,
        "decision-decision": "Roll back to v41",
        "decision-rationale": "Known good",
        "decision-options_considered": "Roll back\nRaise threshold\n\n",
        "decision-reversible": "on",
    }
    data.update(overrides)
    return data


def test_it_records_a_decision_under_the_commanders_right(client, commander, incident):
    client.force_login(commander)
    response = client.post(post_url(incident, "record_decision"), decision_data())
    assert response.status_code == 302
    entry = DecisionLogEntry.objects.get(incident=incident, kind=EntryKind.DECISION)
    assert entry.actor_role == Role.COMMANDER
    assert entry.data["options_considered"] == ["Roll back", "Raise threshold"]
    assert entry.data["reversible"] is True


def test_it_settles_an_open_request(client, commander, responder, incident):
    request_entry = decisions.request_decision(
        incident=incident,
        by=responder,
        decision_type=DecisionType.ROLLBACK_MODEL,
        question="Roll back?",
    )
    client.force_login(commander)
    assert "Roll back?" in client.get(detail_url(incident)).text
    response = client.post(
        post_url(incident, "record_decision"),
        decision_data(**{"decision-settles": str(request_entry.sequence)}),
    )
    assert response.status_code == 302
    entry = DecisionLogEntry.objects.get(incident=incident, kind=EntryKind.DECISION)
    assert entry.data["settles"] == request_entry.sequence
    page = client.get(detail_url(incident)).text
    assert re.search(r'<div id="open-decisions">\s*<ul>\s*<li class="muted">None.</li>', page)


def test_it_offers_only_decisions_the_viewers_roles_carry(client, commander, responder, incident):
    services.assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
    client.force_login(responder)
    page = client.get(detail_url(incident)).text
    offered = re.search(r'<select name="decision-decision_type".*?</select>', page, re.S).group(0)
    assert 'value="customer_notice"' in offered
    assert 'value="rollback_model"' not in offered
    response = client.post(post_url(incident, "record_decision"), decision_data())
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not DecisionLogEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).exists()


def test_it_refuses_decisions_to_responders_without_a_decision_role(client, responder, incident):
    client.force_login(responder)
    assert "Record a decision" not in client.get(detail_url(incident)).text
    assert client.post(post_url(incident, "record_decision"), decision_data()).status_code == 403
    assert not DecisionLogEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).exists()


def test_it_shows_a_missing_approval_on_its_field(client, commander, responder, incident):
    Playbook.objects.create(
        name="SEV2", severity=2, approvals={"customer_notice": "liaison_executive"}
    )
    services.assign_role(incident=incident, role=Role.COMMS_LEAD, user=responder, by=commander)
    client.force_login(responder)
    before = entries(incident)
    response = client.post(
        post_url(incident, "record_decision"),
        decision_data(**{"decision-decision_type": DecisionType.CUSTOMER_NOTICE}),
    )
    assert response.status_code == 400
    assert re.search(
        r'id="id_decision-approved_by_error".*needs approval by the Executive liaison',
        response.text,
        re.S,
    )
    assert entries(incident) == before


def test_it_refuses_a_decision_without_rationale(client, commander, incident):
    client.force_login(commander)
    before = entries(incident)
    response = client.post(
        post_url(incident, "record_decision"), decision_data(**{"decision-rationale": ""})
    )
    assert response.status_code == 400
    assert entries(incident) == before


# --- milestones --------------------------------------------------------------------------------


def test_it_records_a_milestone_with_its_indicator(client, commander, incident):
    client.force_login(commander)
    response = client.post(
        post_url(incident, "reach_milestone"),
        {"milestone-phase": Phase.CONTAINED, "milestone-indicator": "FP rate < 2 % for 30 min"},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.phase == Phase.CONTAINED
    assert (
        Milestone.objects.get(incident=incident, phase=Phase.CONTAINED).indicator
        == "FP rate < 2 % for 30 min"
    )


@pytest.mark.parametrize(
    "data",
    [
        {"milestone-phase": Phase.CONTAINED, "milestone-indicator": ""},
        {"milestone-phase": Phase.DECLARED, "milestone-indicator": "again"},
        {"milestone-phase": Phase.REVIEWED, "milestone-indicator": "too early"},
    ],
)
def test_it_refuses_an_invalid_milestone(client, commander, incident, data):
    client.force_login(commander)
    before = entries(incident)
    response = client.post(post_url(incident, "reach_milestone"), data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.text
    assert entries(incident) == before
    assert Incident.objects.get(pk=incident.pk).phase == Phase.DECLARED


def test_it_refuses_milestones_to_responders_without_the_right(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        post_url(incident, "reach_milestone"),
        {"milestone-phase": Phase.CONTAINED, "milestone-indicator": "ok"},
    )
    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).phase == Phase.DECLARED


# --- roles -------------------------------------------------------------------------------------


def test_it_assigns_and_hands_off_a_role(client, commander, commander2, responder, incident):
    client.force_login(commander)
    url = post_url(incident, "assign_role")
    assert (
        client.post(url, {"role-role": Role.SCRIBE, "role-user": responder.pk}).status_code == 302
    )
    assert (
        client.post(
            url, {"role-role": Role.SCRIBE, "role-user": commander2.pk, "role-note": "Shift change"}
        ).status_code
        == 302
    )
    history = list(
        RoleAssignment.objects.filter(incident=incident, role=Role.SCRIBE).order_by("started_at")
    )
    assert [(a.user, a.is_active) for a in history] == [(responder, False), (commander2, True)]
    last = DecisionLogEntry.objects.filter(incident=incident).order_by("-sequence").first()
    assert last.summary == "Scribe handed off from remy to conor"


def test_it_shows_a_conflict_on_the_user_field(client, commander, incident):
    client.force_login(commander)
    before = entries(incident)
    response = client.post(
        post_url(incident, "assign_role"), {"role-role": Role.COMMANDER, "role-user": commander.pk}
    )
    assert response.status_code == 409
    assert re.search(r'id="id_role-user_error".*already holds this role', response.text, re.S)
    assert entries(incident) == before


def test_it_refuses_an_executive_as_role_holder(client, commander, executive, incident):
    client.force_login(commander)
    response = client.post(
        post_url(incident, "assign_role"), {"role-role": Role.SCRIBE, "role-user": executive.pk}
    )
    assert response.status_code == 400
    assert not RoleAssignment.objects.filter(incident=incident, user=executive).exists()


def test_it_refuses_role_changes_by_plain_responders(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        post_url(incident, "assign_role"), {"role-role": Role.SCRIBE, "role-user": responder.pk}
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(incident=incident, role=Role.SCRIBE).exists()


def test_it_renders_pages_without_inline_scripts_or_styles(client, commander, incident):
    """The CSP allows scripts and styles from our origin only: nothing inline may slip in."""
    client.force_login(commander)
    for url in (list_url(), detail_url(incident), reverse("incidents:declare")):
        page = client.get(url).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], url
        assert "<style" not in page and " style=" not in page, url
        assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page, url
