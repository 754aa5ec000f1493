"""The communication-metrics page in real Chromium: charts draw under our CSP; without JavaScript, tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.builders import make_user
from tests.learning.metrics_support import build_drill, build_march

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = [
    "metrics-real-durations",
    "metrics-real-schedule",
    "metrics-real-satisfaction",
    "metrics-real-nudges",
    "metrics-drill-durations",
    "metrics-drill-schedule",
    "metrics-drill-satisfaction",
    "metrics-drill-nudges",
]


@pytest.fixture
def timeline(clock, fraud_model):
    from incidents.choices import GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_RESPONDER

    commander = make_user("cara", GROUP_COMMANDER, GROUP_RESPONDER)
    make_user("eve", GROUP_EXECUTIVE)
    built = {
        "march": build_march(clock, commander, fraud_model),
        "drill": build_drill(clock, commander, fraud_model),
    }
    clock.now = datetime.now(UTC)  # the site runs at (about) the real time from here
    return built


def test_the_metrics_page_draws_its_charts(
    page: Page, live_server, sign_in, console_errors, screenshots, timeline
):
    sign_in("eve", next_path="/communication-metrics/")
    real = page.locator("#metrics-real")
    expect(real.get_by_text("Time to containment (median)")).to_be_visible()
    expect(real.locator(".cards")).to_contain_text("70 min")
    expect(real.locator(".cards")).to_contain_text("3 of 6 (50 %)")
    expect(page.locator("#metrics-drill .cards")).to_contain_text("5 h 00 min")
    for chart_id in CHARTS:
        chart = page.locator(f"#{chart_id}")
        expect(chart.locator(".chart-plot svg.main-svg").first).to_be_visible()
        expect(chart.locator(".chart-table")).to_have_class(
            "chart-table table-wrap visually-hidden"
        )
    page.screenshot(path=str(screenshots / "metrics.png"), full_page=True)
    assert console_errors == [], console_errors


def test_without_javascript_the_tables_show(browser, live_server, timeline):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/communication-metrics/")
    page.get_by_label("Username").fill("eve")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    table = page.locator("#metrics-real-durations table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("March 2026")
    expect(table).to_contain_text("70 min")
    context.close()
