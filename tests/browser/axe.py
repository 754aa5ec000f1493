"""axe-core over every page the browser tests see (WCAG 2.0/2.1, levels A and AA): zero violations.

Registered for the whole suite through ``pytest_plugins`` (tests/conftest.py) and active only in
tests marked ``browser``. A test needs no call of its own: before each Playwright action (click,
fill, key press, navigation, screenshot, closing a context) the page it acts on is checked if it
is new, or if htmx swapped content into it, since the last check; after the test body, every page
still open is checked the same way. So each page a test reaches, and each state it acts on or
leaves, is checked, and a violation fails the test at the step that led to it.

axe.min.js is read from node_modules (``npm ci``, pinned in package-lock.json) and evaluated
through the DevTools protocol, which our Content-Security-Policy (script nonces) does not govern.
Pages in a context with JavaScript disabled cannot run axe; they are skipped (the same pages are
checked with JavaScript on by other tests). ``assert_accessible(page)`` checks at once, whatever the
page's state, and ``scan(page)`` returns the violations without failing (for the checker's own test).
"""

from __future__ import annotations

import functools
import logging
import os
import weakref
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Keyboard, Locator, Mouse, Page
from playwright.sync_api import Error as PlaywrightError

log = logging.getLogger(__name__)  # --log-cli-level=INFO lists every page state checked

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}

# The actions that act on what the page shows now: its current state is checked before them.
ACTIONS: dict[type, tuple[str, ...]] = {
    Page: (
        "goto", "reload", "go_back", "go_forward", "set_content", "click", "dblclick", "fill",
        "press", "type", "check", "uncheck", "select_option", "tap", "set_input_files",
        "screenshot", "close",
    ),
    Locator: (
        "click", "dblclick", "fill", "press", "press_sequentially", "type", "check", "uncheck",
        "set_checked", "select_option", "set_input_files", "tap", "clear", "drag_to", "screenshot",
    ),
    Keyboard: ("press", "type", "insert_text"),
    Mouse: ("click", "dblclick"),
}  # fmt: skip

# Marks the <html> element once checked (a navigation or set_content makes a new one); an htmx
# swap clears the mark, so the next action checks again. A new tab's empty about:blank is no page.
STALE_JS = """() => {
  const root = document.documentElement;
  if (!root || root.__axeChecked === true) return false;
  return !(location.href === "about:blank" && !document.body?.childElementCount && !document.title);
}"""
UNCHECK_JS = (
    "() => { if (document.documentElement) document.documentElement.__axeChecked = false; }"
)
SCAN_JS = """async (options) => {
  if (!window.__axeWatchesHtmx) {
    window.__axeWatchesHtmx = true;
    document.addEventListener("htmx:afterSettle", () => {
      if (document.documentElement) document.documentElement.__axeChecked = false;
    });
  }
  document.documentElement.__axeChecked = true;  // before the run: a swap during it re-arms
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    targets: v.nodes.map((node) => node.target.join(" ")),
  }));
}"""


def axe_source() -> str:
    """axe.min.js; missing, it fails the test in CI (a skip there would hide every check)."""
    if not AXE_JS.is_file():
        message = f"{AXE_JS} is missing: run `npm ci --no-audit --no-fund` (or make test)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return _read(AXE_JS)


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def scan(page: Page) -> list[dict[str, Any]]:
    """Run axe over the page as it is now and return its violations."""
    page.wait_for_load_state()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return list(page.evaluate(SCAN_JS, AXE_OPTIONS))


def report(url: str, violations: list[dict[str, Any]], *, when: str = "") -> str:
    """One readable block per rule: id, impact, what it asks, the elements, where to read more."""
    lines = [f"axe: {len(violations)} WCAG 2.1 A/AA violation(s) on {url}{when}"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    at {target}" for target in violation["targets"])
        lines.append(f"    see {violation['helpUrl']}")
    return "\n".join(lines)


def assert_accessible(page: Page, *, when: str = "") -> None:
    """Check the page now; a violation fails the test with the list of what axe found."""
    violations = scan(page)
    log.info("axe: %d violation(s) on %s%s", len(violations), page.url, when)
    if violations:
        raise AssertionError(report(page.url, violations, when=when))


class Watch:
    """The pages one browser test acts on, and the contexts where axe cannot run."""

    def __init__(self, item: pytest.Item) -> None:
        self.item = item
        self.pages: list[Page] = []
        self.scriptless: weakref.WeakSet[BrowserContext] = weakref.WeakSet()
        self.busy = False
        self.active = True  # off once the test body ended: fixture teardown is not checked

    def ours(self, page: Page) -> bool:
        """The console's pages (and set_content's), not the stand-in identity provider's."""
        live_server = getattr(self.item, "funcargs", {}).get("live_server")
        url = page.url
        return url.startswith("about:") or live_server is None or url.startswith(live_server.url)

    def remember(self, page: Page) -> Page:
        if page not in self.pages:
            self.pages.append(page)
        return page

    def page_of(self, target: Any) -> Page | None:
        """The page an action's receiver belongs to (keyboard and mouse only know theirs)."""
        if isinstance(target, Page):
            return self.remember(target)
        if isinstance(target, Locator):
            return self.remember(target.page)
        return next((p for p in self.pages if target in (p.keyboard, p.mouse)), None)

    def check_if_stale(self, page: Page, *, when: str) -> None:
        """Check a page that changed since its last check; a closed or scriptless one is left."""
        if not self.active or self.busy or page.is_closed() or page.context in self.scriptless:
            return
        self.busy = True
        try:
            self._check(page, when=when)
        finally:
            self.busy = False

    def _check(self, page: Page, *, when: str) -> None:
        for attempt in (1, 2):
            try:
                page.wait_for_load_state()
                if self.ours(page) and page.evaluate(STALE_JS):
                    assert_accessible(page, when=when)
                return
            except PlaywrightError as error:
                # A navigation started by the last action replaced the document mid-check.
                if attempt == 2 or "context was destroyed" not in str(error):
                    raise

    def check_all(self, *, when: str) -> None:
        for page in list(self.pages):
            self.check_if_stale(page, when=when)


def _guarded(
    watch: Watch, cls: type, name: str, original: Callable[..., Any]
) -> Callable[..., Any]:
    @functools.wraps(original)
    def action(self: Any, *args: Any, **kwargs: Any) -> Any:
        page = watch.page_of(self)
        if page is not None:
            watch.check_if_stale(page, when=f" (before {cls.__name__}.{name})")
        return original(self, *args, **kwargs)

    return action


def _install(watch: Watch, monkeypatch: pytest.MonkeyPatch) -> None:
    for cls, names in ACTIONS.items():
        for name in names:
            monkeypatch.setattr(cls, name, _guarded(watch, cls, name, getattr(cls, name)))

    close_context = BrowserContext.close

    def close(self: BrowserContext, *args: Any, **kwargs: Any) -> None:
        for page in self.pages:
            watch.check_if_stale(page, when=" (before BrowserContext.close)")
        close_context(self, *args, **kwargs)

    new_context = Browser.new_context

    def new_scriptless_aware_context(self: Browser, *args: Any, **kwargs: Any) -> BrowserContext:
        context = new_context(self, *args, **kwargs)
        if kwargs.get("java_script_enabled") is False:
            watch.scriptless.add(context)
        return context

    set_viewport_size = Page.set_viewport_size

    def resize(self: Page, *args: Any, **kwargs: Any) -> None:
        """A new layout may scroll where the old did not: check the page again at the new size."""
        watch.check_if_stale(watch.remember(self), when=" (before Page.set_viewport_size)")
        set_viewport_size(self, *args, **kwargs)
        if not self.is_closed() and self.context not in watch.scriptless:
            self.evaluate(UNCHECK_JS)

    monkeypatch.setattr(BrowserContext, "close", close)
    monkeypatch.setattr(Page, "set_viewport_size", resize)
    monkeypatch.setattr(Browser, "new_context", new_scriptless_aware_context)


_WATCH = pytest.StashKey[Watch]()


@pytest.fixture(autouse=True)
def _axe_watch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In a browser test, check each page state before Playwright acts on it."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    axe_source()  # fail (CI) or skip before the test starts when axe-core is not installed
    watch = Watch(request.node)
    _install(watch, monkeypatch)
    request.node.stash[_WATCH] = watch
    yield
    del request.node.stash[_WATCH]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After the test body: check the pages it left open (a failure here fails the test)."""
    watch = item.stash.get(_WATCH, None)
    try:
        result = yield  # raises what the test body raised
        if watch is not None:
            fixture_page = getattr(item, "funcargs", {}).get("page")
            if isinstance(fixture_page, Page):
                watch.remember(fixture_page)
            watch.check_all(when=" (at the end of the test)")
        return result
    finally:
        if watch is not None:
            watch.active = False
