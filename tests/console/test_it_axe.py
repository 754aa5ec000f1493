"""The accessibility checker itself: it reports a known violation and fails the step that meets it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.fixtures import axe
from tests.fixtures.axe import assert_accessible, report, scan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An image without a text alternative (WCAG 1.1.1, axe's image-alt), otherwise a clean page.
MISSING_ALT = """<!doctype html><html lang="en"><head><title>Checker test</title></head>
<body><main><h1>Checker test</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="no-alt">
</main></body></html>"""


def test_the_checker_lists_a_known_violation(page: Page) -> None:
    page.set_content(MISSING_ALT)
    violations = scan(page)
    assert [v["id"] for v in violations] == ["image-alt"]
    text = report("about:blank", violations)
    assert "- image-alt (critical): Images must have alternative text" in text
    assert "    at #no-alt" in text
    assert "dequeuniversity.com/rules/axe/" in text


def test_a_violation_fails_the_next_action_and_an_explicit_check(page: Page) -> None:
    page.set_content(MISSING_ALT)
    with pytest.raises(AssertionError, match=r"(?s)before Locator\.click.*image-alt.*#no-alt"):
        page.locator("h1").click()
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)
    page.evaluate("document.getElementById('no-alt').alt = 'A single pixel'")
    assert_accessible(page)


def test_a_clean_page_passes(page: Page) -> None:
    page.set_content(MISSING_ALT.replace('id="no-alt"', 'id="no-alt" alt="A single pixel"'))
    page.locator("h1").click()
    assert scan(page) == []


def test_without_axe_core_ci_fails_and_a_local_run_skips(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(axe, "AXE_JS", tmp_path / "axe.min.js")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="npm ci"):
        axe.axe_source()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="npm ci"):
        axe.axe_source()
