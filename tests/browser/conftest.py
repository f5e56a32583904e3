"""Browser fixtures: Debian's Chromium driven by Playwright's sync API, and axe-core.

The server comes from the session fixture ``live_server`` (tests/conftest.py: the app served by
``python -m engagement serve`` against the test database) and staff accounts from ``cast``.

Without /usr/bin/chromium or node_modules/axe-core (``make browser-deps``) the tests are skipped;
with CI set, they fail instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import CODE_PATTERN

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEFAULT_TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}
OUTBOX_WAIT_SECONDS = 20


# ---------- Playwright's sync API next to pytest-asyncio ----------
# Playwright's sync API runs its own event loop in a greenlet and, between calls, leaves it marked as
# the thread's running loop (playwright/_impl/_greenlets.py, wait_for_future); it breaks when that mark
# is missing while it works. pytest-asyncio, which runs the async fixtures of tests/conftest.py, refuses
# to start while any loop is marked ("Runner.run() cannot be called from a running event loop").
# So the mark is set only while Playwright is used: inside the fixtures defined here and the bodies of
# tests that use a browser; everywhere else (other fixtures, async teardowns) it is lifted.
_playwright_loop: asyncio.AbstractEventLoop | None = None


@contextmanager
def _running_loop_mark(loop: asyncio.AbstractEventLoop | None) -> Iterator[None]:
    previous = asyncio._get_running_loop()
    asyncio._set_running_loop(loop)
    try:
        yield
    finally:
        asyncio._set_running_loop(previous)


def _playwright_mark():
    loop = _playwright_loop if _playwright_loop is not None and not _playwright_loop.is_closed() else None
    return _running_loop_mark(loop)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    ours = getattr(fixturedef.func, "__module__", None) == __name__
    with _playwright_mark() if ours else _running_loop_mark(None):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if "new_context" not in getattr(item, "fixturenames", ()):
        return (yield)
    with _playwright_mark():
        return (yield)


def missing(what: str) -> None:
    """Skip when a browser-test dependency is absent; with CI set, fail instead."""
    message = f"{what} (run `make browser-deps`)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    global _playwright_loop
    # Session fixtures do not pass through this directory's pytest_fixture_setup: mark by hand.
    with _running_loop_mark(None):
        playwright = sync_playwright().start()
        _playwright_loop = asyncio._get_running_loop()
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        except Exception:
            playwright.stop()
            _playwright_loop = None
            raise
    yield chromium
    with _playwright_mark():
        chromium.close()
        playwright.stop()
    _playwright_loop = None


@pytest.fixture
def new_context(browser, live_server) -> Iterator[Callable[..., object]]:
    """Make browser contexts (cookies, JavaScript on/off, viewport) on the live server; closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("base_url", live_server)
        options.setdefault("viewport", VIEWPORT)
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(**options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    with _playwright_mark():
        for context in contexts:
            context.close()


@pytest.fixture
def context(new_context):
    return new_context()


class PageProblems:
    """JavaScript errors and Content-Security-Policy violations seen while a test drove its pages."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.items.append(f"{page.url}: uncaught {error}"))

        def on_console(message) -> None:
            if message.type == "error" and "Content Security Policy" in message.text:
                self.items.append(f"{page.url}: {message.text}")

        page.on("console", on_console)


@pytest.fixture
def page(context):
    """A fresh page (in a fresh context); the test fails on any JavaScript error or CSP violation."""
    problems = PageProblems()
    browser_page = context.new_page()
    problems.watch(browser_page)
    yield browser_page
    assert not problems.items, "problems in the browser:\n" + "\n".join(problems.items)


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}  <{violation.get('helpUrl', '')}>")
        for node in violation["nodes"][:10]:
            lines.append(f"    at {json.dumps(node['target'], ensure_ascii=False)}: {node.get('failureSummary', '').strip()}"[:600])
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def run_axe(page, run_only) -> list[dict]:
    """Inject axe-core into the page as served and return its violations for ``run_only``."""
    if not AXE_JS.exists():
        missing(f"{AXE_JS.relative_to(ROOT)} is missing")
    if page.evaluate("typeof window.axe") == "undefined":
        # page.add_script_tag(path=...) inserts an inline <script>, which the site's CSP (script-src 'self')
        # refuses. DevTools evaluation is not subject to the page's CSP, so axe checks the page exactly as
        # served (CSP on) instead of a context opened with bypass_csp.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;void 0")
    return page.evaluate("(runOnly) => axe.run(document, {runOnly}).then((result) => result.violations)", run_only)


def _axe_check(page, *, enhanced_contrast: bool = False) -> None:
    """Fail with the list of WCAG 2.1 A/AA violations (and, for elder mode, AAA 7:1 contrast)."""
    violations = run_axe(page, WCAG_TAGS)
    if enhanced_contrast:
        violations += run_axe(page, {"type": "rule", "values": ["color-contrast-enhanced"]})
    assert not violations, f"axe-core found {len(violations)} violation(s) on {page.url}:\n{_describe(violations)}"


@pytest.fixture
def axe_check() -> Callable[..., None]:
    """``axe_check(page)``: run axe-core with the WCAG 2.1 AA tags on the current page; fail on any violation.

    ``axe_check(page, enhanced_contrast=True)`` also runs the AAA contrast rule (7:1), as elder mode requires.
    """
    return _axe_check


@pytest.fixture
def read_code(live_server):
    """``read_code(page, phone)``: the newest code sent to ``phone`` (national or E.164), from /dev/sms-outbox."""

    def read(page, phone: str) -> str:
        e164 = phone if phone.startswith("+") else f"+86{phone}"
        deadline = time.monotonic() + OUTBOX_WAIT_SECONDS
        while True:
            response = page.request.get(f"{live_server}/dev/sms-outbox", headers={"accept": "application/json"})
            assert response.status == 200, response.text()
            for message in response.json():  # newest first
                found = CODE_PATTERN.search(message["body"]) if message["phone"] == e164 else None
                if found:
                    return found.group(1)
            if time.monotonic() > deadline:
                raise AssertionError(f"no SMS reached {e164} within {OUTBOX_WAIT_SECONDS}s")
            time.sleep(0.2)

    return read

