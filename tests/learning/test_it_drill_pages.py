"""Drill pages: who sees and does what, start to debrief without JavaScript, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learning.drills import runs
from learning.models import ActionItem, Drill, DrillStep

FRAUD = "fraud-fp-surge"
READERS = ["executive", "responder", "commander", "admin_user"]
RUNNERS = ["commander", "admin_user"]
PERSONAS = ["anonymous", "outsider", "regulator", *READERS]


def client_for(request, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


@pytest.fixture
def world(
    commander, commander2, responder, executive, regulator, admin_user, outsider, fraud_model
):
    done = runs.start_drill(by=commander2, scenario=FRAUD, clock_factor=60)
    runs.end_drill(drill=done, by=commander2)
    running = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    return {"running": running, "done": done}


def counts() -> tuple[int, ...]:
    return (
        Drill.objects.count(),
        DrillStep.objects.filter(applied_at__isnull=False).count(),
        ActionItem.objects.count(),
        Drill.objects.filter(status="running").count(),
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reads_the_drill_pages(request, world, persona):
    client = client_for(request, persona)
    for url in (
        reverse("drills:list"),
        reverse("drills:detail", args=[world["running"].pk]),
        reverse("drills:debrief", args=[world["done"].pk]),
    ):
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 302 and "/login/" in response["Location"]
        else:
            assert response.status_code == (200 if persona in READERS else 403), (persona, url)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_runs_drills(request, world, persona):
    client = client_for(request, persona)
    running, done = world["running"], world["done"]
    due = (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    posts = [
        (reverse("drills:start"), {"scenario": FRAUD, "clock_factor": "60"}),
        (reverse("drills:end", args=[running.pk]), {}),
        (
            reverse("drills:debrief", args=[done.pk]),
            {
                "title": "Alert per bucket",
                "owner": "remy",
                "due_at": due,
                "expected_outcome": "Paged fast",
                "category": "monitoring",
            },
        ),
    ]
    for url, data in posts:
        before = counts()
        response = client.post(url, data)
        if persona in RUNNERS:
            assert response.status_code == 302, (persona, url, response.content[:500])
            assert "/login/" not in response["Location"]
        else:
            assert response.status_code == (302 if persona == "anonymous" else 403), (persona, url)
            assert counts() == before
    if persona in RUNNERS:
        assert Drill.objects.count() == 3 and ActionItem.objects.get().drill == done
        assert Drill.objects.get(pk=running.pk).status == "completed"


def test_starting_from_the_form_redirects_to_the_drill(client, commander, fraud_model):
    client.force_login(commander)
    page = client.get(reverse("drills:list"))
    assert (
        b'id="start-drill"' in page.content
        and b"Credit-model drift after an upstream schema change" in page.content
    )
    response = client.post(
        reverse("drills:start"),
        {"scenario": FRAUD, "clock_factor": "120", "suppress_external": "on"},
    )
    drill = Drill.objects.get()
    assert response["Location"] == reverse("drills:detail", args=[drill.pk])
    assert (drill.clock_factor, drill.suppress_external, drill.incident.clock_factor) == (
        120,
        True,
        120,
    )
    detail = client.get(response["Location"])
    assert drill.incident.get_absolute_url().encode() in detail.content
    assert b'hx-trigger="every 2s"' in detail.content  # the progress panel refreshes while running


@pytest.mark.parametrize(
    ("factor", "message"),
    [("0", b"greater than or equal to 1"), ("601", b"less than or equal to 600")],
)
def test_a_bad_factor_is_refused_on_the_form(client, commander, fraud_model, factor, message):
    client.force_login(commander)
    response = client.post(reverse("drills:start"), {"scenario": FRAUD, "clock_factor": factor})
    assert response.status_code == 400
    assert message in response.content and not Drill.objects.exists()


def test_executives_see_no_start_form(client, executive, fraud_model):
    client.force_login(executive)
    assert b'id="start-drill"' not in client.get(reverse("drills:list")).content


def test_ending_leads_to_the_debrief(client, commander, fraud_model):
    client.force_login(commander)
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    response = client.post(reverse("drills:end", args=[drill.pk]))
    assert response["Location"] == reverse("drills:debrief", args=[drill.pk])
    page = client.get(response["Location"]).content.decode()
    assert (
        "Time to containment" in page and "Cadence kept" in page and "Some targets missed." in page
    )
    assert 'id="improvement-form"' in page


def test_the_htmx_poll_gets_the_progress_fragment_only(client, commander, fraud_model):
    client.force_login(commander)
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    response = client.get(reverse("drills:detail", args=[drill.pk]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="progress"') and "<html" not in body


def test_the_list_page_runs_a_constant_number_of_queries(
    client, commander, fraud_model, django_assert_num_queries
):
    client.force_login(commander)
    runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    client.get(reverse("drills:list"))
    with django_assert_num_queries(5) as first:  # session, user, groups, unread inbox count, drills
        client.get(reverse("drills:list"))
    for _ in range(3):
        runs.end_drill(
            drill=runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60), by=commander
        )
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(reverse("drills:list"))
    assert response.content.decode().count('href="/drills/') >= 4


def test_the_admin_shows_drills_read_only(client, admin_user, commander, fraud_model):
    drill = runs.start_drill(by=commander, scenario=FRAUD, clock_factor=60)
    client.force_login(admin_user)
    assert client.get("/admin/learning/drill/").status_code == 200
    page = client.get(f"/admin/learning/drill/{drill.pk}/change/")
    assert page.status_code == 200 and b"false_positive_rate" in page.content
    assert client.get("/admin/learning/drill/add/").status_code == 403
