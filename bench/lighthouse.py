"""Lighthouse 12 scores of the public pages, in normal and elder mode, with Debian's Chromium.

The application is started as ``bench/http_bench.py`` starts it (``python -m engagement serve`` on a
temporary SQLite database prepared with ``migrate`` and ``demo``); Lighthouse comes from the project's
node_modules (``npm ci``: package.json pins lighthouse 12) and drives /usr/bin/chromium headless, with
its default mobile emulation and simulated throttling. Prints one line per page and mode (performance,
accessibility, best practices, SEO, cumulative layout shift, largest contentful paint, total blocking
time) and, below a score under 100, the audits that cost points. Not part of the test suite: a run of
Lighthouse takes 10-30 s here and its performance score moves with the machine's load.

    .venv/bin/python bench/lighthouse.py                       # every page below, both modes
    .venv/bin/python bench/lighthouse.py --pages home consultation --modes elder --runs 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_bench  # the same server start-up as the HTTP benchmark

ROOT = http_bench.ROOT
LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = {
    "home": "/",
    "consultations": "/consultations",
    "consultation": "/consultations/{consultation}",
    "live-sessions": "/live-sessions",
    "live-session": "/live-sessions/{live_session}",
    "statistics": "/statistics",
    "mailbox": "/mailbox",
    "mailbox-search": "/mailbox/search?q=噪音",
    "verify": "/verify",
}
MODES = {"normal": "", "elder": "elder=1"}


def lighthouse(url: str) -> dict:
    cmd = [
        "node", str(LIGHTHOUSE), url, f"--chrome-path={CHROMIUM}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
        f"--only-categories={','.join(CATEGORIES)}", "--output=json", "--output-path=stdout", "--quiet",
    ]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=240)
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def losses(report: dict, category: str) -> list[str]:
    """The audits of ``category`` that cost points, by title."""
    audits = report["audits"]
    found = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
            value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            found.append(f"{audit['title']}{value}")
    return found


def line(label: str, report: dict) -> str:
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    audits = report["audits"]
    return (
        f"{label:<28} perf {scores['performance']:3d}  a11y {scores['accessibility']:3d}  "
        f"bp {scores['best-practices']:3d}  seo {scores['seo']:3d}  "
        f"CLS {audits['cumulative-layout-shift']['numericValue']:.3f}  "
        f"LCP {audits['largest-contentful-paint']['numericValue'] / 1000:.1f} s  "
        f"TBT {audits['total-blocking-time']['numericValue']:.0f} ms"
    )


def with_mode(path: str, query: str) -> str:
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{query}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--runs", type=int, default=1,
                        help="runs per page and mode; the run with the median performance score is shown")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} is missing: run `npm ci` (package.json pins lighthouse 12)")
    sys.stdout.reconfigure(line_buffering=True)
    tmpdir = Path(tempfile.mkdtemp(prefix="engagement-lighthouse-"))
    server = None
    try:
        env = http_bench.app_environment(tmpdir, 1)
        if not http_bench.prepare_app(env):
            sys.exit(1)
        server = http_bench.start_app(http_bench.DEFAULT_SERVER, 1, env, tmpdir)
        server.wait_ready()
        paths = http_bench.sample_paths(server, {name: PAGES[name] for name in args.pages})
        version = subprocess.run(["node", str(LIGHTHOUSE), "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
        print(f"# Lighthouse {version}, {CHROMIUM} headless, mobile emulation, simulated throttling")
        for name, path in paths.items():
            for mode in args.modes:
                reports = sorted((lighthouse(server.url(with_mode(path, MODES[mode]))) for _ in range(args.runs)),
                                 key=lambda report: report["categories"]["performance"]["score"] or 0)
                report = reports[len(reports) // 2]
                spread = [round(100 * (each["categories"]["performance"]["score"] or 0)) for each in reports]
                print(line(f"{name} {mode}", report) + (f"  (perf of the runs: {spread})" if args.runs > 1 else ""))
                for category in CATEGORIES:
                    for loss in losses(report, category):
                        print(f"    {category}: {loss}")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
