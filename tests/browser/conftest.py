"""Browser fixtures: Debian's Chromium driven by Playwright's sync API (on a thread of its own), and axe-core.

The server comes from the session fixture ``live_server`` (tests/conftest.py: the app served by
``python -m engagement serve`` against the test database) and staff accounts from ``cast``.

Without /usr/bin/chromium, node_modules (axe-core, vnu-jar) or java (``make browser-deps``) the tests are
skipped; with CI set, they fail instead.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
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
# the thread's running loop (playwright/_impl/_greenlets.py, wait_for_future). pytest-asyncio, which runs
# the async fixtures of tests/conftest.py, refuses to start on a thread with a running loop. So Playwright
# gets a thread of its own: the fixtures below and the bodies of tests that use a browser run there, and
# pytest's thread stays free of Playwright's loop. A test body's ``request.getfixturevalue`` is carried
# back to pytest's thread. Each thread serves the other's calls while it waits, so calls may nest.
_WAKE = object()


class PlaywrightThread:
    """A thread for Playwright's sync API, and calls between it and pytest's thread."""

    def __init__(self) -> None:
        self._jobs: dict[bool, queue.SimpleQueue] = {True: queue.SimpleQueue(), False: queue.SimpleQueue()}
        self._thread = threading.Thread(target=self._serve, name="playwright", daemon=True)
        self._thread.start()

    def _on_playwright(self) -> bool:
        return threading.get_ident() == self._thread.ident

    def _serve(self) -> None:
        while (job := self._jobs[True].get()) is not None:
            if job is not _WAKE:  # a wake-up left over from a call that had finished meanwhile
                job()

    def _call(self, on_playwright: bool, function: Callable, *args, **kwargs):
        if self._on_playwright() == on_playwright:
            return function(*args, **kwargs)
        result: Future = Future()

        def job() -> None:
            try:
                result.set_result(function(*args, **kwargs))
            except BaseException as error:  # noqa: BLE001 - pytest's skip and fail outcomes are BaseExceptions
                result.set_exception(error)

        mine = self._jobs[self._on_playwright()]
        result.add_done_callback(lambda _: mine.put(_WAKE))
        self._jobs[on_playwright].put(job)
        while not result.done():  # serve the other thread's calls meanwhile
            waiting = mine.get()
            if waiting is not _WAKE:
                waiting()
        return result.result()

    def playwright(self, function: Callable, *args, **kwargs):
        """``function(*args, **kwargs)`` on Playwright's thread."""
        return self._call(True, function, *args, **kwargs)

    def pytest(self, function: Callable, *args, **kwargs):
        """``function(*args, **kwargs)`` on pytest's thread (from a test body on Playwright's)."""
        return self._call(False, function, *args, **kwargs)

    def stop(self) -> None:
        self._jobs[True].put(None)
        self._thread.join()


_playwright_thread: PlaywrightThread | None = None


class RequestFromPlaywright:
    """A test's ``request`` whose ``getfixturevalue`` runs on pytest's thread (async fixtures need it)."""

    def __init__(self, request, thread: PlaywrightThread) -> None:
        self._request, self._thread = request, thread

    def getfixturevalue(self, name: str):
        return self._thread.pytest(self._request.getfixturevalue, name)

    def __getattr__(self, name: str):
        return getattr(self._request, name)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    thread = _playwright_thread
    if thread is None or "browser" not in item.fixturenames:
        return (yield)
    body, request = item.obj, item.funcargs.get("request")
    item.obj = functools.wraps(body)(lambda **kwargs: thread.playwright(body, **kwargs))
    if request is not None:
        item.funcargs["request"] = RequestFromPlaywright(request, thread)
    try:
        return (yield)
    finally:
        item.obj = body
        if request is not None:
            item.funcargs["request"] = request


def missing(what: str) -> None:
    """Skip when a browser-test dependency is absent; with CI set, fail instead."""
    message = f"{what} (run `make browser-deps`)"
    if os.environ.get("CI"):
        pytest.fail(f"CI: {message}")
    pytest.skip(message)


def _start_chromium():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        return playwright, playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
    except Exception:
        playwright.stop()
        raise


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed")
    global _playwright_thread
    thread = PlaywrightThread()
    try:
        playwright, chromium = thread.playwright(_start_chromium)
    except BaseException:
        thread.stop()
        raise
    _playwright_thread = thread
    yield chromium
    _playwright_thread = None
    thread.playwright(chromium.close)
    thread.playwright(playwright.stop)
    thread.stop()


def _new_context(browser, options: dict):
    context = browser.new_context(**options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture
def new_context(browser, live_server) -> Iterator[Callable[..., object]]:
    """Make browser contexts (cookies, JavaScript on/off, viewport) on the live server; closed after the test."""
    thread = _playwright_thread
    contexts = []

    def make(**options):
        options.setdefault("base_url", live_server)
        options.setdefault("viewport", VIEWPORT)
        options.setdefault("locale", "zh-CN")
        context = thread.playwright(_new_context, browser, options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        thread.playwright(context.close)


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
    browser_page = _playwright_thread.playwright(context.new_page)
    _playwright_thread.playwright(problems.watch, browser_page)
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

