"""Opinion submissions per second against a bare endpoint, in the same run (issue 3).

Starts the application as ``serve`` does (temporary SQLite, demo data) and the bare
app, verifies a few citizens through the real SMS flow (codes from the development
outbox), then a separate load process posts opinions with distinct texts to an open
consultation for ``--duration`` seconds. The bare endpoint is driven by the same
generator. Prints opinions/s, p50/p99 and the ratios; checks that every acknowledged
opinion is in the public count.

    .venv/bin/python bench/opinion_bench.py --duration 10 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import citizens
from http_bench import DEFAULT_SERVER, app_environment, prepare_app, start_app, start_bare

CITIZENS = 20


def forwarded(n: int) -> dict[str, str]:
    return citizens.forwarded(n, 9)


def citizen_tokens(base: str, count: int) -> list[str]:
    return citizens.citizen_tokens(base, count, "1360000", 9)


def open_consultation(base: str) -> int:
    items = httpx.get(f"{base}/api/v1/consultations", params={"status": "open"}).json()["items"]
    return next(item["id"] for item in items if item["status"] == "open")


async def drive(url: str, method: str, tokens: list[str], duration: float, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + duration

    async def worker(slot: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=30) as http:
            n = 0
            while time.monotonic() < end:
                n += 1
                headers = forwarded(slot * 1000 + n)
                started = time.perf_counter()
                if method == "POST":
                    headers["authorization"] = f"Bearer {tokens[(slot + n) % len(tokens)]}"
                    body = {"content": f"建议在老旧小区改造中优先加装电梯，编号{uuid.uuid4().hex[:12]}。"}
                    response = await http.post(url, json=body, headers=headers)
                    ok = response.status_code == 201
                else:
                    ok = (await http.get(url, headers=headers)).status_code == 200
                latencies.append(time.perf_counter() - started)
                errors += not ok

    await asyncio.gather(*[worker(slot) for slot in range(concurrency)])
    latencies.sort()
    count = len(latencies)
    return {
        "count": count,
        "errors": errors,
        "rps": count / duration,
        "p50": latencies[count // 2] * 1000 if count else 0.0,
        "p99": latencies[min(count - 1, int(count * 0.99))] * 1000 if count else 0.0,
    }


def load_in_subprocess(url: str, method: str, tokens: list[str], duration: float, concurrency: int) -> dict:
    """The load comes from a separate process, as a client on the network would."""
    code = (
        "import asyncio, json, sys; sys.path.insert(0, 'bench'); from opinion_bench import drive; "
        "a = json.loads(sys.argv[1]); print(json.dumps(asyncio.run(drive(**a))))"
    )
    arguments = json.dumps({"url": url, "method": method, "tokens": tokens, "duration": duration,
                            "concurrency": concurrency})
    done = subprocess.run([sys.executable, "-c", code, arguments], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="engagement-opinion-bench-") as folder:
        tmpdir = Path(folder)
        env = app_environment(tmpdir, workers=1)
        if not prepare_app(env):
            sys.exit(1)
        app, bare = start_app(DEFAULT_SERVER, 1, env, tmpdir), start_bare(DEFAULT_SERVER, 1, tmpdir)
        try:
            app.wait_ready()
            bare.wait_ready()
            tokens = citizen_tokens(app.url(""), CITIZENS)
            consultation = open_consultation(app.url(""))
            before = httpx.get(app.url(f"/api/v1/consultations/{consultation}")).json()["opinion_count"]
            base = load_in_subprocess(bare.url("/bare"), "GET", tokens, args.duration, args.concurrency)
            posted = load_in_subprocess(app.url(f"/api/v1/consultations/{consultation}/opinions"), "POST", tokens,
                                        args.duration, args.concurrency)
            after = httpx.get(app.url(f"/api/v1/consultations/{consultation}")).json()["opinion_count"]
        finally:
            app.stop()
            bare.stop()
    stored = after - before
    print(f"# {DEFAULT_SERVER}, 1 worker, SQLite, concurrency {args.concurrency}, {args.duration:.0f} s each, "
          "same httpx generator for both rows")
    print(f"bare GET /bare            {base['rps']:8.0f} req/s  p50 {base['p50']:7.1f} ms  p99 {base['p99']:7.1f} ms")
    print(f"POST opinions (201)       {posted['rps']:8.1f} /s     p50 {posted['p50']:7.1f} ms  p99 {posted['p99']:7.1f} ms"
          f"  x{posted['rps'] / base['rps']:.3f} rps  x{posted['p50'] / base['p50']:.1f} p50")
    acknowledged = posted["count"] - posted["errors"]
    print(f"acknowledged {acknowledged}, errors {posted['errors']}, stored and counted {stored}"
          f" ({'all acknowledged opinions stored' if stored == acknowledged else 'MISMATCH'})")


if __name__ == "__main__":
    main()
