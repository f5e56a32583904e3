"""Every public page of the demo site is valid HTML: the W3C Nu Html Checker (vnu-jar) finds no error.

The demo data comes from the command operators run (``python -m engagement demo``). The pages are the
manifests' ``public_pages`` (as in test_accessibility.py) and the 404 page; for a page with ids in its
path, every page of that route the other public pages link to (or send the browser back to, after a code
was sent: ``return_to``). Each is fetched as the server sends it
(the checker reads markup, not the DOM after scripts), in normal and elder mode; so are the receipt
and the lookup result of a letter written through the form, and the page of a registration for an open
meeting made through its form (reached by a private code, linked from no public page). One run of the checker (one JVM start)
reads them all.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import ROOT, missing
from tests.browser.test_accessibility import EXTRA_PAGES, MODES, PARAMETER, declared_public_pages, normalise
from tests.support import CODE_PATTERN, OUTBOX_WAIT_SECONDS, e164, service_environment

VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
MAX_PAGES = 80  # distinct paths; the demo site has about 30
LINK = re.compile(r'(?:href="|name="return_to" value=")(/[^"?#]*)')
REGISTRATION_FORM = re.compile(r'action="(/live-sessions/\d+/registrations)"')
PHONE = "13912345678"
REGISTRATION_PHONE = "13912345679"


def route_patterns() -> dict[str, re.Pattern[str]]:
    """{route with ids: a pattern matching its concrete paths}."""
    patterns = {}
    for path in declared_public_pages():
        if "{" in path:
            template = normalise(path)
            regex = "".join(re.escape(part) if i % 2 == 0 else "[^/]+" for i, part in enumerate(PARAMETER.split(template)))
            patterns[template] = re.compile(regex + "/?")
    return patterns


def load_demo() -> None:
    result = subprocess.run([sys.executable, "-m", "engagement", "demo"], env=service_environment(),
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def fetch(http: httpx.Client, path: str, mode: str) -> httpx.Response:
    response = http.get(path, params={"elder": "1" if mode == "elder" else "0"})
    expected = 404 if path in EXTRA_PAGES else 200
    assert response.status_code == expected, f"{path} ({mode}) answered {response.status_code}"
    assert response.headers["content-type"].startswith("text/html"), path
    return response


def crawl(http: httpx.Client) -> dict[str, dict[str, str]]:
    """{path: {mode: html}}: the plain public pages and every page with ids that they (transitively) link to."""
    patterns = route_patterns()
    queue = [path for path in declared_public_pages() if "{" not in path] + list(EXTRA_PAGES)
    pages: dict[str, dict[str, str]] = {}
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0)
        if path in pages:
            continue
        pages[path] = {mode: fetch(http, path, mode).text for mode in MODES}
        for link in LINK.findall(pages[path]["normal"]):
            if link not in pages and any(pattern.fullmatch(link) for pattern in patterns.values()):
                queue.append(link)
    return pages


def unreached_routes(pages: dict[str, dict[str, str]]) -> list[str]:
    return [template for template, pattern in route_patterns().items() if not any(map(pattern.fullmatch, pages))]


def registration_page(http: httpx.Client, pages: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """A registration for the first meeting whose page has the form, and the registration's own page."""
    meeting, action = next((path, found.group(1)) for path, modes in pages.items()
                           if (found := REGISTRATION_FORM.search(modes["normal"])))
    category = re.search(r'name="category" value="([^"]*)"', pages[meeting]["normal"])
    assert http.post("/api/v1/sms/codes", json={"phone": REGISTRATION_PHONE}).status_code == 202
    form = {"name": "王秀英", "category": category.group(1) if category else "", "phone": REGISTRATION_PHONE,
            "code": read_code(http, REGISTRATION_PHONE), "_csrf_token": http.cookies.get("engagement_csrf")}
    registered = http.post(action, data=form)
    assert registered.status_code == 303, registered.text
    path = registered.headers["location"].split("?")[0]
    return {path: {mode: fetch(http, path, mode).text for mode in MODES}}


def letter_pages(http: httpx.Client) -> dict[str, dict[str, str]]:
    """The receipt and the lookup result of a letter written through the form (answers to POSTs)."""
    http.get("/mailbox")
    assert http.post("/api/v1/sms/codes", json={"phone": PHONE}).status_code == 202
    form = {"subject": "小区噪音扰民", "body": "夜间施工噪音大。", "name": "张小明", "category": "complaint",
            "phone": PHONE, "code": read_code(http, PHONE), "_csrf_token": http.cookies.get("engagement_csrf")}
    receipt = http.post("/mailbox/letters", data=form, files={"attachments": ("", b"", "application/octet-stream")})
    assert receipt.status_code == 200, receipt.text
    number = re.search(r"data-tracking-number>([^<]+)<", receipt.text).group(1)
    query_code = re.search(r"data-query-code>([^<]+)<", receipt.text).group(1)
    lookup = http.post("/mailbox/lookup", data={"tracking_number": number, "query_code": query_code,
                                                "_csrf_token": http.cookies.get("engagement_csrf")})
    assert lookup.status_code == 200 and "data-lookup-result" in lookup.text
    return {"POST /mailbox/letters": {"normal": receipt.text}, "POST /mailbox/lookup": {"normal": lookup.text}}


def read_code(http: httpx.Client, phone: str) -> str:
    deadline = time.monotonic() + OUTBOX_WAIT_SECONDS
    while time.monotonic() < deadline:
        for message in http.get("/dev/sms-outbox", headers={"accept": "application/json"}).json():
            found = CODE_PATTERN.search(message["body"]) if message["phone"] == e164(phone) else None
            if found:
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no SMS reached {phone} within {OUTBOX_WAIT_SECONDS}s")


def run_checker(files: list[Path]) -> list[dict]:
    java = shutil.which("java")
    if java is None:
        missing("java is not installed")
    if not VNU_JAR.exists():
        missing(f"{VNU_JAR.relative_to(ROOT)} is missing")
    result = subprocess.run([java, "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, files)],
                            capture_output=True, text=True, check=False)  # exits 1 when it finds errors
    assert result.stdout.strip(), f"the checker printed nothing (exit {result.returncode}):\n{result.stderr}"
    return json.loads(result.stdout)["messages"]


def describe(messages: list[dict], names: dict[str, str]) -> str:
    lines = []
    for message in messages:
        where = names.get(Path(message.get("url", "").removeprefix("file:")).name, message.get("url", "?"))
        lines.append(f"- {where} line {message.get('lastLine', '?')}: {message['message']}")
        if message.get("extract"):
            lines.append(f"    {message['extract'].strip()[:200]}")
    return "\n".join(lines)


@pytest.mark.browser
@pytest.mark.database_independent(run="services")  # markup comes from the templates: one run covers it
def test_every_public_page_of_the_demo_site_is_valid_html(live_server, tmp_path):
    load_demo()
    with httpx.Client(base_url=live_server, timeout=30) as http:
        pages = crawl(http)
        pages.update(letter_pages(http))
        pages.update(registration_page(http, pages))
    unreached = unreached_routes(pages)
    assert not unreached, f"no page of the demo site was checked for {unreached}"
    files, names = [], {}
    for number, (path, modes) in enumerate(pages.items()):
        for mode, html in modes.items():
            file = tmp_path / f"{number:03d}-{mode}.html"
            file.write_text(html, encoding="utf-8")
            files.append(file)
            names[file.name] = f"{path} ({mode})"
    errors = [m for m in run_checker(files) if m.get("type") in ("error", "non-document-error")]
    assert not errors, f"the Nu Html Checker found {len(errors)} error(s) in {len(files)} pages:\n{describe(errors, names)}"
