"""Single sign-on in real Chromium against a real OpenID Connect provider on loopback."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from incidents.choices import GROUP_COMMANDER
from tests.fixtures.oidc import OidcProvider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in_at_provider(page: Page, live_server: Any, provider: OidcProvider, username: str) -> None:
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/login/?next=/incidents/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.wait_for_url(f"{provider.issuer}/authorize?*")
    page.get_by_label("Provider username").fill(username)
    page.get_by_role("button", name="Log in at provider").click()


def test_sign_in_lands_on_incidents_with_mapped_group(
    page: Page,
    live_server: Any,
    sso_settings: OidcProvider,
    console_errors: list[str],
    screenshots: Any,
) -> None:
    log_in_at_provider(page, live_server, sso_settings, "alice")
    page.wait_for_url(f"{live_server.url}/incidents/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.screenshot(path=str(screenshots / "sso-landed.png"))
    user = User.objects.get(sso_identity__subject="0001-alice")
    assert set(user.groups.values_list("name", flat=True)) == {GROUP_COMMANDER}
    assert console_errors == []


def test_unmapped_user_sees_refusal_and_has_no_session(
    page: Page,
    live_server: Any,
    sso_settings: OidcProvider,
    console_errors: list[str],
    screenshots: Any,
) -> None:
    log_in_at_provider(page, live_server, sso_settings, "bob")
    page.wait_for_url(f"{live_server.url}/sso/refused/*")
    expect(page.locator("#sso-refusal")).to_contain_text("not in any group that grants access")
    page.screenshot(path=str(screenshots / "sso-refused.png"))
    assert not User.objects.filter(email="bob@example.org").exists()
    # No session: the console sends the browser back to the login page.
    page.goto(f"{live_server.url}/incidents/")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/login/\?next="))
    # The refusal page answers 403 on purpose; any other error (a CSP violation) is a defect.
    assert [e for e in console_errors if "status of 403" not in e] == []
