"""axe-core (WCAG 2.1 A and AA) on every public page, in normal and elder mode.

The pages come from the installed modules' manifests (``Manifest.public_pages``), so a module
that adds a page adds it to this check. A public GET route that no manifest lists fails
``test_every_public_page_is_checked``.

Pages with ids in their path (``/consultations/{id}``): list the route path as written in the
handler in ``public_pages`` and give the manifest ``sample_paths``, an async callable
``sample_paths(cast) -> {route path: concrete path}`` that creates (through the module's services)
whatever those pages need and returns a path to open for each. It runs inside the test, after the
database was emptied for it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

# GET routes that are not public pages: the API, machinery, staff and development pages.
NOT_PUBLIC_PREFIXES = ("/api", "/schema", "/static", "/admin", "/dev", "/healthz", "/staff", "/ws")
# Pages that are no route of their own but are public all the same.
EXTRA_PAGES = {"/no-such-page": "the 404 page (error.html)"}
MODES = ["normal", "elder"]
PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def normalise(path: str) -> str:
    """``/x/{id:int}`` and ``/x/{id}`` are the same page; trailing slashes do not matter."""
    path = PARAMETER.sub(r"{\1}", path)
    return path.rstrip("/") or "/"


def manifests():
    from engagement.modules import manifests as installed

    return installed()


def declared_public_pages() -> list[str]:
    pages: list[str] = []
    for manifest in manifests():
        for path in manifest.public_pages:
            if path not in pages:
                pages.append(path)
    return pages


def public_get_routes() -> dict[str, str]:
    """Every GET page of the application a citizen can open: {normalised path: handler name}."""
    from litestar.routes import HTTPRoute

    from engagement.app import create_app

    app = create_app()
    routes: dict[str, str] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(NOT_PUBLIC_PREFIXES):
            continue
        for handler in route.route_handlers:
            if "GET" not in handler.http_methods:
                continue
            if resolved_guards(handler):  # staff pages are guarded; they are not public
                continue
            routes[normalise(route.path)] = handler.handler_name
    return routes


def resolved_guards(handler) -> list:
    try:
        return list(handler.resolve_guards())
    except Exception:  # noqa: BLE001 - not yet resolved outside an application: fall back to the handler's own
        return list(handler.guards or [])


async def _sample_paths(cast, pages=None) -> dict[str, str]:
    """{route path: concrete path} from the manifests' ``sample_paths``; with ``pages(manifest)`` true for
    some manifests only, from those (each makes its data through its module's services)."""
    samples: dict[str, str] = {}
    for manifest in manifests():
        if manifest.sample_paths is not None and (pages is None or pages(manifest)):
            for template, path in (await manifest.sample_paths(cast)).items():
                samples[normalise(template)] = path
    return samples


@pytest.fixture
async def sample_paths(cast):
    """{route path: concrete path} for the pages with ids, made afresh for the test (see the module doc)."""
    return await _sample_paths(cast)


@pytest.fixture
async def page_sample_paths(cast, request):
    """The samples for the test's ``path``: made by the manifest that lists the page (the other modules' need
    not be made for one page); by the other manifests too if that one has none for it."""
    path = normalise(request.node.callspec.params["path"])

    def lists_it(manifest) -> bool:
        return path in {normalise(page) for page in manifest.public_pages}

    samples = await _sample_paths(cast, lists_it)
    if path not in samples:
        samples.update(await _sample_paths(cast, lambda manifest: not lists_it(manifest)))
    return samples


def concrete(path: str, request) -> str:
    if "{" not in path:
        return path
    samples = request.getfixturevalue("page_sample_paths")
    key = normalise(path)
    if key not in samples:
        pytest.fail(
            f"{path} has ids in its path: its manifest needs sample_paths, an async callable "
            f"sample_paths(cast) -> {{'{path}': '/a/real/path'}} (see tests/browser/test_accessibility.py)"
        )
    return samples[key]


def open_page(page, path: str, mode: str):
    separator = "&" if "?" in path else "?"
    response = page.goto(f"{path}{separator}elder={'1' if mode == 'elder' else '0'}")
    assert response is not None
    elder = page.evaluate("document.documentElement.classList.contains('elder')")
    assert elder == (mode == "elder")
    return response


def assert_elder_text_size(page) -> None:
    size, line_height = page.evaluate(
        "(() => { const s = getComputedStyle(document.body); return [parseFloat(s.fontSize), parseFloat(s.lineHeight)]; })()"
    )
    assert size >= 24 and line_height >= 1.5 * size, f"elder mode body text {size}px / line-height {line_height}px"


@pytest.mark.browser
@pytest.mark.database_independent  # markup and styles: the first run of `make test` covers it
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", declared_public_pages() + list(EXTRA_PAGES))
def test_public_page_has_no_wcag_violations(page, axe_check, request, path, mode):
    response = open_page(page, concrete(path, request), mode)
    expected = 404 if path in EXTRA_PAGES else 200
    assert response.status == expected, f"{path} answered {response.status}"
    expect(page.locator("main h1")).to_have_count(1)
    if mode == "elder":
        assert_elder_text_size(page)
    axe_check(page, enhanced_contrast=mode == "elder")


@pytest.mark.browser
@pytest.mark.database_independent  # markup and styles: the first run of `make test` covers it
@pytest.mark.parametrize("mode", MODES)
def test_verify_page_states_have_no_wcag_violations(page, axe_check, mode):
    """The SMS widget after an error and after a code was sent (live regions, alerts)."""
    open_page(page, "/verify", mode)
    page.locator("[data-sms-phone]").fill("12345")
    page.locator("[data-sms-send]").click()
    expect(page.locator("[data-sms-status]")).not_to_be_empty()
    axe_check(page, enhanced_contrast=mode == "elder")
    page.locator("[data-sms-phone]").fill("13912345678")
    page.locator("[data-sms-send]").click()
    expect(page.locator("[data-sms-send]")).to_be_disabled()
    axe_check(page, enhanced_contrast=mode == "elder")


@pytest.mark.browser
@pytest.mark.database_independent  # markup and styles: the first run of `make test` covers it
@pytest.mark.parametrize("mode", MODES)
def test_staff_dashboard_has_no_wcag_violations(page, axe_check, cast, mode):
    open_page(page, "/login", mode)
    page.locator("#username").fill(cast.admin.username)
    page.locator("#password").fill(cast.admin.password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff$"))
    if mode == "elder":
        assert_elder_text_size(page)
    axe_check(page, enhanced_contrast=mode == "elder")


async def test_every_public_page_answers_on_this_database(client, sample_paths):
    """What the axe checks above need from the database, on every configuration (they run on the first only).

    Each public page, with the same sample data, answers 200 (the 404 page 404) with one ``main h1``, in
    normal and elder mode, through the app on this run's database and backends.
    """
    for path in declared_public_pages() + list(EXTRA_PAGES):
        concrete_path = sample_paths.get(normalise(path), path) if "{" in path else path
        assert "{" not in concrete_path, f"{path} has no sample path"
        for mode in MODES:
            response = await client.get(concrete_path, params={"elder": "1" if mode == "elder" else "0"})
            expected = 404 if path in EXTRA_PAGES else 200
            assert response.status_code == expected, f"{path} ({mode}) answered {response.status_code}"
            main = re.search(r"<main\b.*?</main>", response.text, flags=re.DOTALL)
            assert main is not None and len(re.findall(r"<h1\b", main.group(0))) == 1, f"{path} ({mode})"
            html_tag = re.search(r"<html\b[^>]*>", response.text).group(0)
            assert ('class="elder"' in html_tag) == (mode == "elder"), f"{path} ({mode}): {html_tag}"


def test_every_public_page_is_checked():
    """A public GET route that no manifest lists in public_pages would escape the checks above."""
    routes = public_get_routes()
    declared = {normalise(path) for path in declared_public_pages()}
    unchecked = {path: name for path, name in routes.items() if path not in declared}
    assert not unchecked, (
        "public GET pages missing from their module's Manifest.public_pages "
        "(pages with ids also need sample_paths):\n"
        + "\n".join(f"  {path}  ({name})" for path, name in sorted(unchecked.items()))
    )
    stale = sorted(path for path in declared if path not in routes)
    assert not stale, f"public_pages lists paths that are not public GET routes: {stale}"


def test_sample_paths_cover_every_page_with_ids(request):
    """Every listed page with ids has a sample path (without it, its axe check fails at run time)."""
    templated = [path for path in declared_public_pages() if "{" in path]
    if not templated:
        pytest.skip("no public page with ids installed yet")
    samples = request.getfixturevalue("sample_paths")
    missing = [path for path in templated if normalise(path) not in samples]
    assert not missing, f"no sample_paths entry for {missing}"
    for path in templated:
        assert "{" not in samples[normalise(path)], f"sample path for {path} still has placeholders"

