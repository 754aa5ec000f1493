"""A regulator liaison's path in real Chromium: triage, see the clock, draft; the commander signs
off; the liaison records the submission. No console errors, and the axe check of every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from incidents.choices import GROUP_COMMANDER, GROUP_RESPONDER, Role
from tests.builders import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def incident(fraud_model):
    from comms import workflows
    from incidents.services import assign_role

    cara = make_user("cara", GROUP_COMMANDER, GROUP_RESPONDER, first_name="Cara")
    ruth = make_user("ruth", GROUP_RESPONDER, first_name="Ruth")
    declared = workflows.declare_incident(
        by=cara,
        title="Credit scores exposed",
        severity=1,
        models=[(fraud_model, "v42")],
        customers_affected=1200,
    )
    assign_role(incident=declared, role=Role.REGULATOR, user=ruth, by=cara)
    return declared


def test_a_liaison_triages_drafts_and_records_a_submission_signed_off_by_the_commander(
    page: Page, browser, live_server, sign_in, console_errors, incident
):
    from regulatory.models import Obligation, RegulatoryReport

    sign_in("ruth", next_path=f"/incidents/{incident.pk}/")
    expect(page.locator(".regulatory")).to_contain_text(
        "No regulatory regime has been found to apply yet"
    )
    page.get_by_role(
        "link", name="Triage the regimes, record moments, draft and submit reports"
    ).click()

    gdpr = page.locator("#triage-gdpr-art33")
    gdpr.get_by_role("group", name="Is this a personal data breach").get_by_label("Yes").check()
    gdpr.get_by_role("group", name="Is the breach likely to result").get_by_label("Yes").check()
    gdpr.get_by_role("button", name="Save the answers for GDPR Art. 33").click()
    expect(page.locator("#obligations")).to_contain_text(
        "GDPR Art. 33: Notification to the supervisory authority"
    )
    expect(page.locator("#obligations")).to_contain_text("h left")

    page.get_by_role("link", name="GDPR Art. 33: Notification to the supervisory authority").click()
    report_url = page.url
    page.get_by_label("Name and contact details of the data protection officer").fill(
        "dpo@bank.test"
    )
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("button", name="Sign off (someone other than the last editor)").click()
    expect(page.get_by_role("alert")).to_contain_text("Four eyes")

    other = browser.new_context()
    second = other.new_page()
    second.goto(f"{live_server.url}/login/?next={report_url.removeprefix(live_server.url)}")
    second.get_by_label("Username").fill("cara")
    second.get_by_label("Password").fill("pw")
    second.get_by_role("button", name="Sign in").click()
    second.get_by_role("button", name="Sign off (someone other than the last editor)").click()
    expect(second.locator(".report-status")).to_contain_text("signed off by cara")
    other.close()

    page.goto(report_url)
    page.get_by_label("Submitted via").fill("CNIL online portal")
    page.get_by_label("Authority's reference").fill("CNIL-2026-0042")
    page.get_by_role("button", name="Record the submission").click()
    expect(page.locator(".report-status")).to_contain_text(
        "submitted by ruth via CNIL online portal (CNIL-2026-0042)"
    )
    assert RegulatoryReport.objects.get().status == "submitted"
    assert Obligation.objects.get().outcome == "met"
    # The refused sign-off answered 409, which Chromium logs; nothing else went wrong.
    assert [e for e in console_errors if "409 (Conflict)" not in e] == []
    assert len(console_errors) == 1
