"""A commander and an executive use the console in real Chromium."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from incidents.decision_log.models import DecisionLogEntry
from incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRAUD = "Fraud model false-positive surge after feature-pipeline change"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/incidents/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Incidents")).to_be_visible()


def test_it_lets_a_commander_log_a_note_and_shows_executives_no_forms(
    page: Page, live_server, screenshots
):
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The commander sees the seeded incidents and opens one.
    sign_in(page, base, "commander")
    table = page.get_by_role("table")
    for incident in Incident.objects.all():
        expect(table).to_contain_text(incident.title)
    page.screenshot(path=str(screenshots / "incident-list.png"), full_page=True)
    page.get_by_role("link", name=FRAUD).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(FRAUD)

    # Keyboard users reach the skip link first.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    # Add a note: POST, redirect, and the note is the newest log entry.
    page.get_by_role("region", name="Add a note").get_by_label("Note").fill(
        "Browser check: FP rate back under 2 % on EU traffic."
    )
    page.get_by_role("button", name="Add note").click()
    newest = page.locator("ol.timeline > li").last
    expect(newest).to_contain_text("Browser check: FP rate back under 2 % on EU traffic.")
    expect(newest).to_contain_text("Cara Okafor (commander)")
    incident = Incident.objects.get(title=FRAUD)
    assert DecisionLogEntry.objects.filter(
        incident=incident, kind="note", actor__username="commander"
    ).exists()
    page.screenshot(path=str(screenshots / "incident-detail-commander.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshots / "incident-detail-phone.png"), full_page=False)
    page.set_viewport_size({"width": 1280, "height": 720})

    # The glossary explains the jargon the log uses; the declare form is one click away.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Glossary").click()
    page.get_by_label("Search names, spellings and definitions").fill("FP")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="False positive").click()
    expect(page.get_by_role("heading", name="In plain words")).to_be_visible()
    page.screenshot(path=str(screenshots / "glossary-term.png"), full_page=True)
    page.get_by_role("link", name="Declare", exact=True).click()
    expect(page.get_by_label("Title")).to_be_visible()
    page.screenshot(path=str(screenshots / "declare.png"), full_page=True)

    # Sign out; the executive reads the same incident without any write control.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "executive")
    page.get_by_role("link", name=FRAUD).click()
    expect(page.locator("ol.timeline")).to_contain_text("Browser check: FP rate back under 2 %")
    expect(page.locator("main form")).to_have_count(0)
    expect(page.get_by_role("link", name="Declare")).to_have_count(0)
    page.screenshot(path=str(screenshots / "incident-detail-executive.png"), full_page=True)
    assert errors == [], errors
