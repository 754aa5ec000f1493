"""A commander runs a drill to its debrief in real Chromium, under the CSP, without console errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.builders import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(fraud_model):
    from incidents.choices import GROUP_COMMANDER, GROUP_RESPONDER

    return {
        "cara": make_user("cara", GROUP_COMMANDER, GROUP_RESPONDER, first_name="Cara"),
        "remy": make_user("remy", GROUP_RESPONDER),
    }


def test_a_commander_runs_a_drill_to_its_debrief(
    page: Page, live_server, sign_in, console_errors, screenshots, people
):
    from learning.models import ActionItem, Drill

    sign_in("cara", next_path="/drills/")
    expect(
        page.get_by_role("heading", name="Recommender latency spike at peak traffic")
    ).to_be_visible()
    start = page.locator("#start-drill")
    start.get_by_label("Scenario").select_option("fraud-fp-surge")
    start.get_by_label("Clock factor").fill("600")
    start.get_by_role("button", name="Start drill").click()

    drill = Drill.objects.get()
    page.wait_for_url(f"{live_server.url}/drills/{drill.pk}/")
    expect(page.locator("#progress")).to_contain_text("Running")
    expect(
        page.get_by_role("link", name=f"{drill.incident.reference} — open its console")
    ).to_be_visible()
    page.get_by_role("link", name=f"{drill.incident.reference} — open its console").click()
    expect(page.locator("h1")).to_contain_text("[DRILL] Fraud model false-positive surge")
    page.go_back()
    page.screenshot(path=str(screenshots / "drill-progress.png"), full_page=True)

    page.get_by_role("button", name="End drill and debrief").click()
    page.wait_for_url(f"{live_server.url}/drills/{drill.pk}/debrief/")
    expect(page.locator("#scores")).to_contain_text("Time to containment")
    expect(page.locator("#scores")).to_contain_text("not contained")

    form = page.locator("#improvement-form")
    form.get_by_label("Title").fill("Page on FP rate per merchant bucket")
    form.get_by_label("Owner").select_option("remy")
    form.get_by_label("Due").fill("2030-01-31T09:00")
    form.get_by_label("Expected outcome").fill("The surge pages the on-call within 5 minutes")
    form.get_by_label("Category").select_option("monitoring")
    form.get_by_role("button", name="Add improvement").click()
    expect(page.locator("#improvements")).to_contain_text("Page on FP rate per merchant bucket")
    page.screenshot(path=str(screenshots / "drill-debrief.png"), full_page=True)

    assert ActionItem.objects.get().drill == drill
    assert console_errors == []
