"""Drive the Debian Chromium: Playwright cannot download its own browsers here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(autouse=True)
def _organisation_groups(transactional_db: None) -> None:
    """Recreate the groups the migration made: a transactional test's flush removes them, and
    seed_demo (and every persona) expects them to exist, whichever browser test ran first."""
    from django.contrib.auth.models import Group

    from incidents.choices import ALL_GROUPS

    for name in ALL_GROUPS:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Collect the page's console errors (a CSP violation is one): tests assert there are none."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def sign_in(page: Any, live_server: Any) -> Any:
    """Return a function that signs a user in through the login form (password "pw", as make_user sets)."""

    def sign_in_as(username: str, *, next_path: str = "/incidents/", password: str = "pw") -> None:
        page.set_default_timeout(10_000)  # fail fast: every step here takes well under a second
        page.goto(f"{live_server.url}/login/?next={next_path}")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}{next_path}")

    return sign_in_as
