"""A commander reviews a resolved incident in real Chromium: start, fill in, act, publish, print; no console errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.builders import declare_resolved, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def resolved(fraud_model):
    from incidents.choices import GROUP_COMMANDER, GROUP_RESPONDER

    cara = make_user("cara", GROUP_COMMANDER, GROUP_RESPONDER, first_name="Cara")
    make_user("remy", GROUP_RESPONDER)
    return declare_resolved(cara, fraud_model, "Fraud model false-positive surge")


def test_a_commander_publishes_a_review_with_an_action_item(
    page: Page, live_server, sign_in, console_errors, screenshots, resolved
):
    from learning.models import ActionItem, Review

    sign_in("cara", next_path="/reviews/")
    page.get_by_role("button", name=f"Start review of {resolved.reference}").click()
    page.wait_for_url(f"{live_server.url}/reviews/{resolved.pk}/")
    expect(page.locator("#record")).to_contain_text("FP normal")

    edit = page.locator("#edit")
    edit.get_by_label("Executive summary").fill(
        "About 1,200 card payments were wrongly declined for an hour."
    )
    edit.get_by_label("Model versioning").check()
    edit.get_by_label("Lessons").fill("Shadow every fraud model for a day before it decides.")
    edit.get_by_label("Taxonomy").select_option("oecd-aim")
    oecd = edit.locator("fieldset.taxonomy", has_text="OECD")
    oecd.get_by_label("Severity (required to publish)").select_option("AI incident")
    oecd.get_by_label("economic/property").check()
    edit.get_by_role("button", name="Save the draft").click()
    expect(page.locator(".review-rendition")).to_contain_text(
        "Root-cause categories: Model versioning"
    )

    item = page.locator("form", has=page.get_by_role("button", name="Add action item"))
    item.get_by_label("Title").fill("Shadow v43 for a day")
    item.get_by_label("Owner").select_option(label="remy")
    item.get_by_label("Due (UTC)").fill("2030-01-31T09:00")
    item.get_by_label("Expected outcome").fill("v43 decides only after a day in shadow")
    item.get_by_label("Category").select_option("governance")
    item.get_by_role("button", name="Add action item").click()
    expect(page.locator("#action-items")).to_contain_text("Shadow v43 for a day")

    page.get_by_role("button", name="Publish the review").click()
    expect(page.locator(".page-head .badge")).to_have_text("Published")
    assert Review.objects.get().status == "published"
    assert ActionItem.objects.get().owner.username == "remy"

    page.get_by_role("link", name="Printable page").click()
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".review-rendition")).to_contain_text("Shadow v43 for a day")
    page.screenshot(path=str(screenshots / "review-print.png"), full_page=True)
    assert console_errors == []
