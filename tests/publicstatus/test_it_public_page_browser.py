"""The grown-up public status page in real Chromium: components, maintenance, uptime, subscribing.

axe-core checks every page state these tests reach (tests/fixtures/axe.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from publicstatus.models import Component, Maintenance, Subscriber
from tests.builders import announced_maintenance, declare, make_user, publish_renditions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_data(fraud_model, credit_model):
    from incidents.choices import GROUP_COMMANDER, GROUP_RESPONDER

    commander = make_user("cara", GROUP_COMMANDER, GROUP_RESPONDER)
    comms = make_user("colin", GROUP_RESPONDER)
    Component.objects.create(model=fraud_model, public_name="Card payments", group="Payments")
    Component.objects.create(model=credit_model, public_name="Credit decisions", group="Lending")
    incident = declare(commander, credit_model, severity=2)
    publish_renditions(
        incident, commander, comms, customer={"summary": "Credit decisions are slow."}
    )
    announced_maintenance(commander, fraud_model, name="Payments platform upgrade")
    return commander


def test_components_maintenance_uptime_and_the_subscribe_form(
    page: Page, live_server, console_errors, screenshots, page_data
):
    page.goto(f"{live_server.url}/status/public/")
    main = page.locator("main")
    expect(page.get_by_role("heading", name="Degraded service")).to_be_visible()
    card = page.locator("#model-fraud-scoring")
    expect(card).to_contain_text("Card payments")
    expect(card).to_contain_text("Operational")
    expect(page.locator("#model-credit-limits")).to_contain_text("Partial outage")
    expect(page.get_by_role("heading", name="Payments", exact=True)).to_be_visible()
    expect(main).to_contain_text("Payments platform upgrade")
    bars = page.locator("#model-credit-limits .uptime-day")
    expect(bars).to_have_count(90)
    expect(bars.last).to_have_class("uptime-day state-partial_outage")
    expect(page.locator("#model-credit-limits .uptime-summary")).to_contain_text(
        "89 of 90 days without incident or maintenance"
    )
    box = bars.first.bounding_box()
    assert (
        box and box["height"] > 10 and box["width"] >= 2
    )  # drawn by the stylesheet, no inline style
    page.screenshot(path=str(screenshots / "status-public-components.png"), full_page=True)

    page.get_by_role("link", name="Subscribe by e-mail").click()
    expect(page.get_by_role("heading", name="Subscribe to status updates")).to_be_visible()
    page.get_by_label("E-mail address").fill("dana.customer@example.test")
    page.get_by_label("Card payments").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("dana.customer@example.test")
    subscriber = Subscriber.objects.get()
    assert not subscriber.is_active and not subscriber.all_components
    assert console_errors == [], console_errors


def test_a_commander_schedules_announces_and_starts_maintenance(
    page: Page, live_server, sign_in, console_errors, page_data
):
    sign_in("cara", next_path="/maintenance/")
    page.get_by_label("Name").fill("Feature store upgrade")
    page.get_by_label("Starts (UTC)").fill("2030-03-01T12:00")
    page.get_by_label("Ends (UTC)").fill("2030-03-01T13:00")
    page.get_by_label("Fraud scoring").check()  # staff pages name the models themselves
    page.get_by_role("button", name="Schedule (private until announced)").click()
    window = Maintenance.objects.get(name="Feature store upgrade")
    card = page.locator(f"#mnt-{window.pk}")
    expect(card).to_contain_text("Draft (private)")
    card.get_by_role("button", name="Announce").click()
    expect(card).not_to_contain_text("Draft (private)")
    card.get_by_role("button", name="Start").click()  # htmx swaps just this card
    expect(card).to_contain_text("In progress")
    expect(card.get_by_role("button", name="Complete")).to_be_visible()
    page.goto(f"{live_server.url}/status/public/")
    expect(page.locator("#model-fraud-scoring")).to_contain_text("Under maintenance")
    assert console_errors == [], console_errors
