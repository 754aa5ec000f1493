"""The metrics page and its CSV: who may see them, what they show, bad filters, constant queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.learning.metrics_support import build_april, build_drill, build_march

PAGE = "/communication-metrics/"
CSV = "/communication-metrics/communication.csv"


@pytest.fixture
def timeline(clock, commander, fraud_model):
    march = build_march(clock, commander, fraud_model)
    drill = build_drill(clock, commander, fraud_model)
    return {"march": march, "drill": drill}


def test_the_url_names(db):
    assert (reverse("metrics:index"), reverse("metrics:csv")) == (PAGE, CSV)


@pytest.mark.parametrize(
    "persona,status",
    [
        ("outsider", 403),
        ("regulator", 403),
        ("executive", 200),
        ("responder", 200),
        ("commander", 200),
        ("admin_user", 200),
    ],
)
@pytest.mark.parametrize("url", [PAGE, CSV])
def test_who_may_see_the_metrics(client, request, persona, status, url):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == status


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_strangers_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_the_page_only_reads(client, executive, url):
    client.force_login(executive)
    assert client.post(url).status_code == 405


def section(html: str, key: str) -> str:
    start = html.index(f'id="metrics-{key}"')
    end = html.find("<section", start + 1)
    return html[start : end if end != -1 else None]


def test_the_page_shows_real_incidents_and_drills_apart(client, executive, timeline):
    client.force_login(executive)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    real, drills = section(html, "real"), section(html, "drill")
    march, drill = timeline["march"], timeline["drill"]
    # Summary cards of the real incidents: containment 70 min, decision 24 min, 3 of 6 slots, ratings.
    assert "<dt>Time to containment (median)</dt><dd>70 min</dd>" in real
    assert (
        '<dt>Time to decision (median)</dt><dd>24 min</dd><dd class="muted">2 settled, 1 open</dd>'
        in real
    )
    assert "<dt>Updates on schedule</dt><dd>3 of 6 (50 %)</dd>" in real
    assert (
        '<dt>Satisfaction (clarity / usefulness, 1–5)</dt><dd>3.8 / 3.6</dd><dd class="muted">5 ratings</dd>'
        in real
    )
    assert "clarity 3.8, usefulness 3.6 (5 ratings)" in real  # the tables
    assert "<li>Technical: 2 of 3 (67 %)</li>" in real
    assert march.reference in real and drill.reference not in real
    # The drill: on its 60x clock, and nowhere among the real figures.
    assert drill.reference in drills and march.reference not in drills
    assert "<dt>Time to containment (median)</dt><dd>5 h 00 min</dd>" in drills
    assert "(60× clock)" in drills
    # The monthly charts of both sections, each with its table fallback.
    for chart in (
        "metrics-real-durations",
        "metrics-real-schedule",
        "metrics-real-satisfaction",
        "metrics-drill-durations",
        "metrics-drill-satisfaction",
    ):
        assert f'id="{chart}"' in html and f'id="{chart}-data"' in html
    assert "plotly.min.js" in html


def test_filters_narrow_both_sections(client, executive, timeline):
    client.force_login(executive)
    html = client.get(PAGE, {"drills": "exclude", "severity": "2"}).content.decode()
    assert 'id="metrics-drill"' not in html and timeline["march"].reference in html
    html = client.get(PAGE, {"drills": "only"}).content.decode()
    assert 'id="metrics-real"' not in html and timeline["drill"].reference in html
    html = client.get(PAGE, {"date_from": "2026-04-01"}).content.decode()
    assert (
        "No real incidents match these filters." in html
        and "No drills match these filters." in html
    )
    assert "the end date is before the start date" not in html.lower()
    response = client.get(PAGE, {"date_from": "2026-03-11", "date_to": "2026-03-10"})
    html = response.content.decode()
    assert (
        response.status_code == 200
        and "The end date is before the start date, so no incident matches." in html
    )
    assert (
        "No real incidents match these filters." in html
        and "No drills match these filters." in html
    )


@pytest.mark.parametrize(
    "query,field",
    [
        ({"date_from": "10/03/2026x"}, "date_from"),
        ({"date_to": "2026-02-30"}, "date_to"),
        ({"severity": "9"}, "severity"),
        ({"model": "no-such-model"}, "model"),
        ({"drills": "mixed"}, "drills"),
    ],
)
@pytest.mark.parametrize("url", [PAGE, CSV])
def test_bad_filters_are_a_400_naming_the_field(client, executive, fraud_model, query, field, url):
    client.force_login(executive)
    response = client.get(url, query)
    assert response.status_code == 400
    body = response.content.decode()
    if url == PAGE:
        assert f'id="metrics_{field}"' in body and 'class="errorlist' in body
        assert body.count('class="errorlist') == 1
    else:
        assert body.startswith("Invalid filters. ") and f"{field}: " in body


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_has_the_page_numbers(client, executive, timeline):
    client.force_login(executive)
    response = client.get(CSV)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="communication-metrics.csv"'
    rows = rows_of(response)
    march, drill = timeline["march"], timeline["drill"]
    assert [(r["section"], r["level"], r["key"]) for r in rows] == [
        ("real", "all", "all"),
        ("real", "severity", "2"),
        ("real", "model", "fraud-scoring"),
        ("real", "month", "2026-03"),
        ("real", "incident", str(march.pk)),
        ("drill", "all", "all"),
        ("drill", "severity", "2"),
        ("drill", "model", "fraud-scoring"),
        ("drill", "month", "2026-03"),
        ("drill", "incident", str(drill.pk)),
    ]
    inc = rows[4]
    assert {
        k: inc[k]
        for k in (
            "reference",
            "title",
            "severity",
            "declared_at",
            "models",
            "clock_factor",
            "time_to_first_update_min",
            "time_to_containment_min",
            "time_to_decision_min",
            "decisions_settled",
            "decisions_open",
            "on_schedule_technical_met",
            "on_schedule_technical_slots",
            "on_schedule_technical_pct",
            "on_schedule_customer_pct",
            "on_schedule_regulator_slots",
            "on_schedule_regulator_pct",
            "satisfaction_executive_clarity",
            "satisfaction_executive_usefulness",
            "satisfaction_executive_ratings",
            "satisfaction_customer_clarity",
            "reminders",
            "escalations",
        )
    } == {
        "reference": march.reference,
        "title": "Fraud false positives",
        "severity": "2",
        "declared_at": "2026-03-10T09:00:00Z",
        "models": "fraud-scoring",
        "clock_factor": "1",
        "time_to_first_update_min": "32",
        "time_to_containment_min": "70",
        "time_to_decision_min": "24",
        "decisions_settled": "2",
        "decisions_open": "1",
        "on_schedule_technical_met": "2",
        "on_schedule_technical_slots": "3",
        "on_schedule_technical_pct": "66.67",
        "on_schedule_customer_pct": "0",
        "on_schedule_regulator_slots": "0",
        "on_schedule_regulator_pct": "",
        "satisfaction_executive_clarity": "3.5",
        "satisfaction_executive_usefulness": "3",
        "satisfaction_executive_ratings": "2",
        "satisfaction_customer_clarity": "",
        "reminders": "3",
        "escalations": "3",
    }
    assert (rows[9]["clock_factor"], rows[9]["time_to_containment_min"]) == ("60", "300")
    only_real = rows_of(client.get(CSV, {"drills": "exclude"}))
    assert {r["section"] for r in only_real} == {"real"}


def test_a_title_cannot_become_a_formula(client, executive, clock, commander):
    from comms import workflows

    workflows.declare_incident(by=commander, title='=HYPERLINK("http://x")', severity=3)
    client.force_login(executive)
    rows = rows_of(client.get(CSV))
    assert [(r["section"], r["level"]) for r in rows] == [
        ("real", "all"),
        ("real", "severity"),
        ("real", "month"),
        ("real", "incident"),
        ("drill", "all"),
    ]
    assert rows[3]["title"] == '\'=HYPERLINK("http://x")'
    assert (rows[4]["incidents"], rows[4]["time_to_containment_min"]) == ("0", "")


def test_page_and_csv_queries_do_not_grow(
    client, executive, clock, commander, fraud_model, credit_model, django_assert_num_queries
):
    client.force_login(executive)
    build_march(clock, commander, fraud_model)
    build_drill(clock, commander, fraud_model)
    # session, user, groups, the models of the form, 8 for the metrics (#13: with the regulatory
    # deadlines); the page adds the inbox count.
    with django_assert_num_queries(12):
        assert client.get(CSV).status_code == 200
    with django_assert_num_queries(13):
        assert client.get(PAGE).status_code == 200
    build_april(clock, commander, [fraud_model, credit_model])
    build_drill(clock, commander, credit_model)
    with django_assert_num_queries(12):
        assert client.get(CSV, {"date_from": "2026-01-01"}).status_code == 200
    with django_assert_num_queries(13):
        assert client.get(PAGE, {"date_from": "2026-01-01"}).status_code == 200


def test_the_page_lists_at_most_the_table_limit_of_incidents(
    client, executive, clock, commander, fraud_model, credit_model, monkeypatch
):
    from learning.communication_metrics import present

    march = build_march(clock, commander, fraud_model)
    april = build_april(clock, commander, [fraud_model, credit_model])
    monkeypatch.setattr(present, "TABLE_LIMIT", 1)
    client.force_login(executive)
    real = section(client.get(PAGE).content.decode(), "real")
    table = real[real.index('id="metrics-table-real-incidents"') :]
    assert "<caption>Per incident: the 1 most recent of 2 (the CSV has them all)</caption>" in table
    assert april.reference in table and march.reference not in table
    assert "<dd>2</dd>" in real  # the figures still cover both
    assert len([r for r in rows_of(client.get(CSV)) if r["level"] == "incident"]) == 2
