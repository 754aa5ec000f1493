"""The status pages in real Chromium: summaries, charts under our CSP, self-refresh, no write control."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.builders import add_points, declare, make_user, publish_renditions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXEC_SUMMARY = (
    "Genuine card payments are no longer being declined; about 2,400 customers were affected."
)
CUSTOMER_SUMMARY = "Some card payments were declined in error today; payments work normally again."


@pytest.fixture
def people(db):
    from incidents.choices import GROUP_COMMANDER, GROUP_EXECUTIVE, GROUP_RESPONDER

    return {
        "commander": make_user(
            "cara", GROUP_COMMANDER, GROUP_RESPONDER, first_name="Cara", last_name="Okafor"
        ),
        "comms": make_user("colin", GROUP_RESPONDER),
        "executive": make_user("eve", GROUP_EXECUTIVE, first_name="Eve", last_name="Marsh"),
        "liaison": make_user("ruth", GROUP_RESPONDER),
    }


@pytest.fixture
def surge(people, fraud_model):
    incident = declare(
        people["commander"],
        fraud_model,
        title="Fraud model false-positive surge",
        severity=1,
        hours_ago=5,
        customers_affected=2400,
        revenue_at_risk_per_hour="37400",
        regulatory_exposure="medium",
        scope="INTERNAL-SCOPE-5Z",
    )
    start = timezone.now() - timedelta(hours=12)
    add_points(fraud_model, "false_positive_rate", [1.6] * 42 + [5.5] * 30, start=start)
    publish_renditions(
        incident,
        people["commander"],
        people["comms"],
        regulator_liaison=people["liaison"],
        executive={"summary": EXEC_SUMMARY, "body": "Revenue at risk peaked near $37,400 an hour."},
        technical={"summary": "TECH-5Z rollback to v42; FP rate 1.8 %"},
        regulator={"summary": "REGULATOR-5Z no customer data exposed"},
        customer={
            "summary": CUSTOMER_SUMMARY,
            "body": "If your payment was declined, please try again.",
        },
    )
    return incident


def test_the_executive_reads_the_update_and_sees_a_chart_and_no_write_control(
    page: Page, live_server, sign_in, console_errors, screenshots, people, surge
):
    sign_in("eve", next_path="/status/")
    main = page.locator("main")
    expect(main).to_contain_text(EXEC_SUMMARY)
    expect(main).to_contain_text("Critical severity")
    expect(main).to_contain_text("2,400")
    expect(main).to_contain_text("$37,400")
    expect(main).to_contain_text("Medium")
    expect(main).not_to_contain_text("TECH-5Z")
    expect(page.locator("main form")).to_have_count(0)
    expect(page.locator("main button")).to_have_count(0)
    expect(page.locator("main input, main textarea, main select")).to_have_count(0)

    chart = page.locator("#chart-customers-trend")
    expect(chart.locator(".chart-plot svg.main-svg").first).to_be_visible()
    table = chart.locator(".chart-table")
    expect(table).to_have_class("chart-table table-wrap visually-hidden")
    expect(table.locator("caption")).to_have_count(1)  # still there for screen readers
    page.screenshot(path=str(screenshots / "status-executive.png"), full_page=True)

    # Revalidation: the reload is answered 304 with a fresh CSP header; static scripts keep working.
    with page.expect_response(lambda r: r.url.endswith("/status/")) as reloaded:
        page.reload()
    assert reloaded.value.status in (200, 304)
    expect(chart.locator(".chart-plot svg.main-svg").first).to_be_visible()
    assert console_errors == [], console_errors


def test_the_executive_page_refreshes_itself(
    page: Page, live_server, sign_in, console_errors, people, surge
):
    page.clock.install()
    sign_in("eve", next_path="/status/")
    expect(page.locator("main")).to_contain_text(EXEC_SUMMARY)
    with page.expect_response(lambda r: "fragment=1" in r.url) as unchanged:
        page.clock.fast_forward(31_000)
    assert unchanged.value.status == 304

    publish_renditions(
        surge,
        people["commander"],
        people["comms"],
        executive={"summary": "Refunds are on their way."},
    )
    with page.expect_response(lambda r: "fragment=1" in r.url) as changed:
        page.clock.fast_forward(31_000)
    assert changed.value.status == 200
    expect(page.locator("main")).to_contain_text("Refunds are on their way.")
    expect(page.locator("#chart-customers-trend .chart-plot svg.main-svg").first).to_be_visible()
    assert console_errors == [], console_errors


def test_the_public_page_shows_only_customer_renditions(
    page: Page, live_server, console_errors, screenshots, surge
):
    page.goto(f"{live_server.url}/status/public/")
    main = page.locator("main")
    expect(page.get_by_role("heading", name="Major outage")).to_be_visible()
    expect(main).to_contain_text(CUSTOMER_SUMMARY)
    expect(main).to_contain_text("If your payment was declined, please try again.")
    for hidden in (
        EXEC_SUMMARY,
        "TECH-5Z",
        "REGULATOR-5Z",
        "INTERNAL-SCOPE-5Z",
        "Fraud model false-positive surge",
    ):
        expect(page.locator("body")).not_to_contain_text(hidden)
    expect(page.locator("form, button")).to_have_count(0)
    page.screenshot(path=str(screenshots / "status-public.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshots / "status-public-phone.png"), full_page=True)
    assert console_errors == [], console_errors


def test_the_technical_view_draws_every_chart(
    page: Page, live_server, sign_in, console_errors, screenshots, people, surge
):
    sign_in("cara", next_path=f"/status/technical/{surge.pk}/")
    figures = page.locator("figure.chart")
    expect(figures).to_have_count(3)  # trend, error budget, impact
    for i in range(3):
        expect(figures.nth(i).locator("svg.main-svg").first).to_be_visible()
        expect(figures.nth(i).locator("table caption")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("TECH-5Z")
    page.screenshot(path=str(screenshots / "status-technical.png"), full_page=True)
    assert console_errors == [], console_errors


def test_without_javascript_the_tables_show(browser, live_server, people, surge):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/?next=/status/")
    page.get_by_label("Username").fill("eve")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#chart-customers-trend table")).to_be_visible()
    expect(page.locator("noscript").first).to_be_attached()
    context.close()
