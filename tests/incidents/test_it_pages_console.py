"""The commander console: list search and counts, the declare dialog, cadence countdowns,
severity, snooze, roles, the live timeline (ETag/304/286) and query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comms import workflows
from comms.models import Deadline
from incidents import decisions, services
from incidents.choices import Audience, DecisionType, EntryKind, Phase, Role
from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident, RoleAssignment

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, *args) -> str:
    return reverse(f"incidents:{name}", args=args)


@pytest.fixture
def live(commander, fraud_model):
    """An incident declared through the comms workflow, so it has cadence deadlines."""
    return workflows.declare_incident(
        by=commander,
        title="Fraud FP surge",
        severity=2,
        scope="EU card payments",
        models=[(fraud_model, "")],
        customers_affected=1200,
        revenue_at_risk_per_hour="42000",
        regulatory_exposure="high",
    )


def queries(client, path: str, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **extra)
    assert response.status_code in (200, 304), response.status_code
    return len(ctx.captured_queries)


# --- the list: search, "mine", drills, counts, htmx fragment ---------------------------------------


@pytest.fixture
def three(commander, commander2, fraud_model):
    a = services.declare_incident(
        by=commander, title="Checkout latency", severity=1, scope="Mobile checkout"
    )
    b = services.declare_incident(
        by=commander2, title="Credit drift", severity=3, scope="Loan approvals"
    )
    c = services.declare_incident(
        by=commander2, title="Drill: recommender", severity=3, is_drill=True
    )
    return a, b, c


@pytest.mark.parametrize(
    ("q", "shown", "hidden"),
    [
        ("latency", "Checkout latency", "Credit drift"),
        ("loan", "Credit drift", "Checkout latency"),
    ],
)
def test_it_searches_title_and_scope(client, commander, three, q, shown, hidden):
    client.force_login(commander)
    page = client.get(url("list") + f"?q={q}").text
    assert shown in page and hidden not in page


def test_it_finds_an_incident_by_reference(client, commander, three):
    _, credit, _ = three
    client.force_login(commander)
    page = client.get(url("list") + f"?q=inc-{credit.pk}").text
    assert "Credit drift" in page and "Checkout latency" not in page


def test_it_filters_mine_and_hides_or_isolates_drills(client, commander, three):
    client.force_login(commander)
    mine = client.get(url("list") + "?mine=on").text
    assert "Checkout latency" in mine and "Credit drift" not in mine
    hidden = client.get(url("list") + "?drill=real").text
    assert "Drill: recommender" not in hidden and "Credit drift" in hidden
    only = client.get(url("list") + "?drill=drill").text
    assert "Drill: recommender" in only and "Credit drift" not in only


def test_it_counts_per_phase_and_severity_for_the_filter(client, commander, three):
    client.force_login(commander)
    page = client.get(url("list") + "?severity=3").text
    counts = re.search(r'<div class="counts".*?</div>', page, re.S).group(0)
    assert re.search(r'sev3">SEV3</span> 2<', counts)
    assert "SEV1" not in counts
    assert re.search(r'phase-declared">Declared</span> 2<', counts)


def test_it_answers_htmx_filters_with_the_results_fragment(client, commander, three):
    client.force_login(commander)
    response = client.get(url("list") + "?q=credit", **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="results"')
    assert "<html" not in response.text and "Credit drift" in response.text
    assert "HX-Request" in response["Vary"]


def test_it_keeps_list_queries_constant_with_search_and_mine(
    client, commander, responder, fraud_model
):
    client.force_login(commander)
    for i in range(5):
        services.declare_incident(
            by=commander, title=f"Incident {i}", severity=1 + i % 4, models=[(fraud_model, "")]
        )
    path = url("list") + "?q=incident&mine=on&drill=real"
    few = queries(client, path)
    for i in range(45):
        services.declare_incident(
            by=commander, title=f"Incident x{i}", severity=1 + i % 4, models=[(fraud_model, "")]
        )
    assert queries(client, path) == few


# --- the declare dialog --------------------------------------------------------------------------


def test_it_serves_the_declare_form_as_a_fragment_to_htmx(client, commander):
    client.force_login(commander)
    response = client.get(url("declare"), **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'hx-post="/incidents/declare/"' in response.text and 'name="title"' in response.text


def test_it_redirects_htmx_clients_to_the_new_incident(client, commander, fraud_model):
    client.force_login(commander)
    response = client.post(
        url("declare"),
        {
            "title": "Pipeline broken",
            "severity": "2",
            "customers_affected": "0",
            "revenue_at_risk_per_hour": "0",
            "regulatory_exposure": "none",
        },
        **HTMX,
    )
    incident = Incident.objects.get(title="Pipeline broken")
    assert response.status_code == 200
    assert response["HX-Redirect"] == incident.get_absolute_url()
    assert (
        Deadline.objects.open().filter(incident=incident).exists()
    )  # declared through comms.workflows


def test_it_re_renders_the_dialog_fragment_with_errors(client, commander):
    client.force_login(commander)
    response = client.post(url("declare"), {"title": "", "severity": "9"}, **HTMX)
    assert response.status_code == 400
    assert "<html" not in response.text
    assert 'id="declare-form"' in response.text and "This field is required." in response.text
    assert not Incident.objects.exists()


def test_it_refuses_the_declare_fragment_to_non_commanders(client, responder, executive):
    for user in (responder, executive):
        client.force_login(user)
        assert client.get(url("declare"), **HTMX).status_code == 403
        assert (
            client.post(url("declare"), {"title": "x", "severity": "2"}, **HTMX).status_code == 403
        )


# --- header, severity, cadence countdown, snooze ----------------------------------------------------


def test_it_shows_commander_impact_and_a_countdown_per_audience(client, executive, live):
    client.force_login(executive)
    page = client.get(url("detail", live.pk)).text
    assert "Cara Commander" in page and "$42,000" in page and "High" in page
    for audience in (Audience.TECHNICAL, Audience.EXECUTIVE, Audience.CUSTOMER):
        assert Audience(audience).label in page
    assert len(re.findall(r'<li class="countdown ok" data-due="[^"]+" data-amber="360"', page)) == 3


@pytest.mark.parametrize(
    ("due_in", "state", "text"),
    [
        (timedelta(minutes=20), "ok", "on track"),
        (timedelta(minutes=4), "amber", "due soon"),
        (timedelta(minutes=-3), "red", "overdue"),
    ],
)
def test_it_computes_the_countdown_state_on_the_server(
    client, commander, live, due_in, state, text
):
    Deadline.objects.filter(incident=live, audience=Audience.EXECUTIVE).update(
        due_at=timezone.now() + due_in
    )
    client.force_login(commander)
    page = client.get(url("detail", live.pk)).text
    row = re.search(
        r'<li class="countdown (\w+)"[^>]*data-audience="Executive / business">.*?</li>', page, re.S
    )
    assert row.group(1) == state
    assert text in row.group(0)


def test_it_offers_severity_change_to_the_commander_only(client, commander, responder, live):
    client.force_login(responder)
    assert url("change_severity", live.pk) not in client.get(url("detail", live.pk)).text
    assert (
        client.post(
            url("change_severity", live.pk), {"severity-severity": "1", "severity-reason": "x"}
        ).status_code
        == 403
    )
    client.force_login(commander)
    assert url("change_severity", live.pk) in client.get(url("detail", live.pk)).text
    response = client.post(
        url("change_severity", live.pk),
        {"severity-severity": "1", "severity-reason": "Regulator exposure"},
    )
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.severity == 1
    # comms.workflows re-planned: SEV1 adds the regulator audience.
    assert Deadline.objects.open().filter(incident=live, audience=Audience.REGULATOR).exists()


def test_it_shows_a_same_severity_change_as_a_conflict(client, commander, live):
    client.force_login(commander)
    response = client.post(
        url("change_severity", live.pk), {"severity-severity": "2", "severity-reason": "same"}
    )
    assert response.status_code == 409
    assert re.search(r'id="id_severity-severity_error".*already SEV2', response.text, re.S)


def test_it_lets_the_commander_snooze_with_a_logged_reason(client, commander, responder, live):
    services.assign_role(incident=live, role=Role.COMMS_LEAD, user=responder, by=commander)
    client.force_login(responder)
    data = {
        "snooze-audience": "executive",
        "snooze-minutes": "10",
        "snooze-reason": "Waiting for numbers",
    }
    assert url("snooze", live.pk) not in client.get(url("detail", live.pk)).text
    assert client.post(url("snooze", live.pk), data).status_code == 403
    client.force_login(commander)
    assert client.post(url("snooze", live.pk), data).status_code == 302
    assert DecisionLogEntry.objects.filter(incident=live, kind=EntryKind.SNOOZE).count() == 1
    again = client.post(url("snooze", live.pk), data)
    assert again.status_code == 400  # a snoozed deadline is no longer offered
    assert DecisionLogEntry.objects.filter(incident=live, kind=EntryKind.SNOOZE).count() == 1


# --- roles, requests, milestones ----------------------------------------------------------------------


def test_it_releases_a_role(client, commander, responder, live):
    services.assign_role(incident=live, role=Role.SCRIBE, user=responder, by=commander)
    client.force_login(commander)
    response = client.post(
        url("release_role", live.pk), {"release-role": Role.SCRIBE, "release-note": "Off shift"}
    )
    assert response.status_code == 302
    assert not RoleAssignment.objects.active().filter(incident=live, role=Role.SCRIBE).exists()
    assert "released as Scribe" in DecisionLogEntry.objects.filter(incident=live).last().summary


def test_it_lists_a_requested_decision_as_open(client, commander, responder, live):
    client.force_login(responder)
    response = client.post(
        url("request_decision", live.pk),
        {
            "request-decision_type": DecisionType.ROLLBACK_MODEL,
            "request-question": "Roll back to v41?",
        },
    )
    assert response.status_code == 302
    page = client.get(url("detail", live.pk)).text
    assert re.search(r'<div id="open-decisions">.*Roll back to v41\?', page, re.S)


def test_it_offers_one_milestone_button_per_next_phase(client, commander, live):
    client.force_login(commander)
    page = client.get(url("detail", live.pk)).text
    for phase in (Phase.CONTAINED, Phase.ROOT_CAUSE_IDENTIFIED, Phase.RECOVERED, Phase.RESOLVED):
        assert f'id="milestone-indicator-{phase}"' in page
    assert f'id="milestone-indicator-{Phase.REVIEWED}"' not in page


def test_it_resolving_closes_the_deadlines(client, commander, live):
    client.force_login(commander)
    response = client.post(
        url("reach_milestone", live.pk),
        {"milestone-phase": Phase.RESOLVED, "milestone-indicator": "FP rate < 2 % for 2 h"},
    )
    assert response.status_code == 302
    assert not Deadline.objects.open().filter(incident=live).exists()


# --- executives: read only everywhere ----------------------------------------------------------------


WRITE_URLS = [
    "add_note",
    "record_decision",
    "request_decision",
    "reach_milestone",
    "change_severity",
    "assign_role",
    "release_role",
    "snooze",
    "create_update",
    "jargon_check",
]


@pytest.mark.parametrize("name", WRITE_URLS)
@pytest.mark.parametrize("persona", ["executive", "regulator", "outsider"])
def test_it_refuses_every_write_to_readers_and_outsiders(client, request, live, persona, name):
    client.force_login(request.getfixturevalue(persona))
    before = DecisionLogEntry.objects.filter(incident=live).count()
    path = url(name, live.pk) + ("?audience=executive" if name == "jargon_check" else "")
    assert client.post(path, {"note-text": "x"}).status_code == 403
    assert client.post(path, {"note-text": "x"}, **HTMX).status_code == 403
    assert DecisionLogEntry.objects.filter(incident=live).count() == before


def test_it_renders_no_write_control_for_executives(client, executive, live):
    client.force_login(executive)
    page = client.get(url("detail", live.pk)).text
    main = page[page.index("<main") : page.index("</main>")]
    assert "<form" not in main and "<button" not in main and "<textarea" not in main


# --- the live timeline ------------------------------------------------------------------------------


def timeline_url(incident: Incident, after: int) -> str:
    return url("timeline", incident.pk) + f"?after={after}"


def head(incident: Incident) -> int:
    return DecisionLogEntry.objects.filter(incident=incident).count()


def test_it_polls_the_timeline_while_open(client, commander, live):
    client.force_login(commander)
    page = client.get(url("detail", live.pk)).text
    n = head(live)
    assert f'hx-get="{timeline_url(live, n)}" hx-trigger="every 4s"' in page


def test_it_returns_only_entries_after_the_cursor_with_oob_updates(
    client, commander, responder, live
):
    client.force_login(commander)
    n = head(live)
    decisions.add_note(incident=live, by=responder, text="Null rate 21 %")
    response = client.get(timeline_url(live, n), **HTMX)
    assert response.status_code == 200
    assert f'id="entry-{n + 1}"' in response.text and f'id="entry-{n}"' not in response.text
    assert "Null rate 21 %" in response.text
    assert (
        f'hx-get="{timeline_url(live, n + 1)}"' in response.text
        and 'hx-swap-oob="true"' in response.text
    )
    assert (
        '<div id="log-announce" hx-swap-oob="innerHTML">1 new log entry: Note: Null rate 21 %'
        in response.text
    )
    assert 'id="cadence-list" hx-swap-oob="innerHTML"' in response.text


def test_it_answers_304_while_the_log_is_unchanged(client, commander, responder, live):
    client.force_login(commander)
    n = head(live)
    first = client.get(timeline_url(live, n), **HTMX)
    assert first.status_code == 200 and first.text.strip() == ""
    etag = first["ETag"]
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    assert "HX-Request" in first["Vary"]
    assert client.get(timeline_url(live, n), HTTP_IF_NONE_MATCH=etag, **HTMX).status_code == 304
    decisions.add_note(incident=live, by=responder, text="Changed")
    changed = client.get(timeline_url(live, n), HTTP_IF_NONE_MATCH=etag, **HTMX)
    assert changed.status_code == 200 and changed["ETag"] != etag and "Changed" in changed.text


def test_it_stops_polling_once_the_incident_is_resolved(client, commander, live):
    client.force_login(commander)
    n = head(live)
    workflows.reach_milestone(
        incident=live, phase=Phase.RESOLVED, indicator="FP < 2 % for 2 h", by=commander
    )
    response = client.get(timeline_url(live, n), **HTMX)
    assert response.status_code == 286
    assert "Resolved: FP &lt; 2 % for 2 h" in response.text
    assert 'id="timeline-poll" class="muted" hx-swap-oob="true"' in response.text
    assert "hx-trigger" not in response.text.split('id="timeline-poll"')[1].split(">")[0]
    page = client.get(url("detail", live.pk)).text
    assert url("timeline", live.pk) not in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [("executive", 200), ("responder", 200), ("regulator", 403), ("outsider", 403)],
)
def test_it_checks_timeline_access_like_the_page(client, request, live, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(timeline_url(live, 0), **HTMX).status_code == status


def test_it_sends_anonymous_pollers_to_login(client, live):
    assert client.get(timeline_url(live, 0), **HTMX).status_code == 302


@pytest.mark.parametrize("after", ["", "x", "-1"])
def test_it_rejects_a_bad_cursor(client, commander, live, after):
    client.force_login(commander)
    assert client.get(url("timeline", live.pk) + f"?after={after}", **HTMX).status_code == 400


def _grow(incident, commander, responder, n):
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
            )
        if i % 5 == 0:
            decisions.request_decision(
                incident=incident,
                by=responder,
                decision_type=DecisionType.ROLLBACK_MODEL,
                question=f"Q {i}",
            )


def test_it_serves_the_timeline_with_a_constant_number_of_queries(
    client, commander, responder, live
):
    client.force_login(commander)
    _grow(live, commander, responder, 4)
    few_entries = head(live)
    few = queries(client, timeline_url(live, 1), **HTMX)
    not_modified = client.get(timeline_url(live, 1), **HTMX)["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        assert (
            client.get(timeline_url(live, 1), HTTP_IF_NONE_MATCH=not_modified, **HTMX).status_code
            == 304
        )
    cheap = len(ctx.captured_queries)
    _grow(live, commander, responder, 40)
    assert head(live) >= few_entries + 60
    assert queries(client, timeline_url(live, 1), **HTMX) == few
    etag = client.get(timeline_url(live, 1), **HTMX)["ETag"]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(timeline_url(live, 1), HTTP_IF_NONE_MATCH=etag, **HTMX).status_code == 304
    assert len(ctx.captured_queries) == cheap
    assert cheap < few
