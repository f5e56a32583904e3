"""Open-meeting registrations per second at 50-way concurrency, against a bare endpoint in the same run (issue 10).

Starts the application as ``serve`` does (temporary SQLite, demo data) and the bare app, verifies
``--concurrency`` citizens through the real SMS flow (codes from the development outbox) and
announces ``--meetings`` first-come meetings of ``--seats`` seats as the demo host. A separate load
process then has every slot register its citizen for one meeting after another (each request a new
phone-and-meeting pair, so every answer should be 201: confirmed or waitlisted) for ``--duration``
seconds; the bare endpoint is driven by the same generator. Prints registrations/s, p50/p99 and the
ratios, and checks that no meeting has more seats held than it has and that every acknowledged
registration is stored.

    .venv/bin/python bench/registrations_bench.py --duration 10 --concurrency 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import citizens
from http_bench import DEFAULT_SERVER, app_environment, prepare_app, start_app, start_bare

HOST = {"username": "host", "password": "host-dev-pass"}  # the demo host (engagement/demo.py)
HELD = ("confirmed", "offered", "checked_in")


def forwarded(n: int) -> dict[str, str]:
    return citizens.forwarded(n, 8)


def citizen_tokens(base: str, count: int) -> list[str]:
    return citizens.citizen_tokens(base, count, "1370000", 8)


def announce_meetings(base: str, count: int, seats: int) -> tuple[list[int], dict[str, str]]:
    starts = datetime.now(UTC) + timedelta(days=7)
    with httpx.Client(base_url=base, timeout=30, headers=forwarded(9999)) as http:
        token = http.post("/api/v1/auth/login", json=HOST).json()["token"]
        staff = {"authorization": f"Bearer {token}", **forwarded(9999)}
        ids = []
        for n in range(count):
            body = {"kind": "open_meeting", "title": f"县政府常务会议（压测{n}）", "guests": [], "capacity": seats,
                    "scheduled_at": starts.isoformat(), "place": "县行政中心"}
            response = http.post("/api/v1/live-sessions", json=body, headers=staff)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
    return ids, staff


async def drive(base: str, path: str, tokens: list[str], meetings: list[int], duration: float,
                concurrency: int) -> dict:
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + duration

    async def worker(slot: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            n = 0
            while time.monotonic() < end and (not meetings or n < len(meetings)):
                headers = forwarded(slot * 1000 + n)
                started = time.perf_counter()
                if meetings:
                    headers["authorization"] = f"Bearer {tokens[slot]}"
                    response = await http.post(f"/api/v1/live-sessions/{meetings[n]}/registrations",
                                               json={"name": f"居民{slot}"}, headers=headers)
                    ok = response.status_code == 201
                else:
                    ok = (await http.get(path, headers=headers)).status_code == 200
                latencies.append(time.perf_counter() - started)
                errors += not ok
                n += 1

    started = time.monotonic()
    await asyncio.gather(*[worker(slot) for slot in range(concurrency)])
    elapsed = min(time.monotonic() - started, duration) or duration
    latencies.sort()
    count = len(latencies)
    return {
        "count": count,
        "errors": errors,
        "rps": count / elapsed,
        "p50": latencies[count // 2] * 1000 if count else 0.0,
        "p99": latencies[min(count - 1, int(count * 0.99))] * 1000 if count else 0.0,
    }


def load_in_subprocess(**arguments) -> dict:
    """The load comes from a separate process, as clients on the network would."""
    code = (
        "import asyncio, json, sys; sys.path.insert(0, 'bench'); from registrations_bench import drive; "
        "a = json.loads(sys.argv[1]); print(json.dumps(asyncio.run(drive(**a))))"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(arguments)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_seats(base: str, meetings: list[int], staff: dict[str, str], seats: int) -> tuple[int, int]:
    """(registrations stored, meetings with more seats held than they have)."""
    stored = overbooked = 0
    with httpx.Client(base_url=base, timeout=30) as http:
        for meeting in meetings:
            counts = http.get(f"/api/v1/live-sessions/{meeting}/registrations", params={"limit": 1},
                              headers=staff).json()
            stored += counts["total"]
            held = sum(pool["counts"][state] for pool in counts["counts"] for state in HELD)
            overbooked += held > seats
    return stored, overbooked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--meetings", type=int, default=100)
    parser.add_argument("--seats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="engagement-registrations-bench-") as folder:
        tmpdir = Path(folder)
        env = app_environment(tmpdir, workers=1)
        if not prepare_app(env):
            sys.exit(1)
        app, bare = start_app(DEFAULT_SERVER, 1, env, tmpdir), start_bare(DEFAULT_SERVER, 1, tmpdir)
        try:
            app.wait_ready()
            bare.wait_ready()
            tokens = citizen_tokens(app.url(""), args.concurrency)
            meetings, staff = announce_meetings(app.url(""), args.meetings, args.seats)
            base = load_in_subprocess(base=bare.url(""), path="/bare", tokens=[], meetings=[],
                                      duration=args.duration, concurrency=args.concurrency)
            posted = load_in_subprocess(base=app.url(""), path="", tokens=tokens, meetings=meetings,
                                        duration=args.duration, concurrency=args.concurrency)
            stored, overbooked = check_seats(app.url(""), meetings, staff, args.seats)
        finally:
            app.stop()
            bare.stop()
    print(f"# {DEFAULT_SERVER}, 1 worker, SQLite, concurrency {args.concurrency}, {args.duration:.0f} s each, "
          f"{args.meetings} meetings of {args.seats} seats, same httpx generator for both rows")
    print(f"bare GET /bare            {base['rps']:8.0f} req/s  p50 {base['p50']:7.1f} ms  p99 {base['p99']:7.1f} ms")
    print(f"POST registrations (201)  {posted['rps']:8.1f} /s     p50 {posted['p50']:7.1f} ms  p99 {posted['p99']:7.1f} ms"
          f"  x{posted['rps'] / base['rps']:.3f} rps  x{posted['p50'] / base['p50']:.1f} p50")
    acknowledged = posted["count"] - posted["errors"]
    print(f"acknowledged {acknowledged}, errors {posted['errors']}, stored {stored}, overbooked meetings {overbooked}"
          f" ({'consistent' if stored == acknowledged and not overbooked else 'MISMATCH'})")


if __name__ == "__main__":
    main()
