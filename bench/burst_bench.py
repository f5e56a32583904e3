"""Burst benchmark: 4x the server's capacity arriving at once must be answered quickly, never hang or fail.

1. The application is started as ``bench/http_bench.py`` starts it (production ``serve``, temporary
   SQLite database with the demo), by default with the page cache off so every request renders (the
   costliest case; ``--page-cache`` keeps it on).
2. **Capacity**: requests per second of ``--path`` with ``--concurrency`` keep-alive connections.
3. **Burst**: ``--factor`` x capacity new requests per second for ``--seconds``, open loop (each arrival
   is a new connection from its own client address, as a crowd after a news item; nobody waits for
   anybody), from a separate process. Every answer is read with a ``--timeout``: a request without an
   answer by then counts as a hang.

Prints the status counts, the latency of the served and the refused requests, how many refusals
carried ``Retry-After``, and the verdict: never a 5xx other than 503, never a hang, every 429/503 with
``Retry-After``. ``--max-in-flight`` sets ``ENGAGEMENT_MAX_IN_FLIGHT`` (e.g. 100000 for "no shedding",
the behaviour before it existed).

    .venv/bin/python bench/burst_bench.py
    .venv/bin/python bench/burst_bench.py --max-in-flight 100000     # what happens without load shedding
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_bench  # the same server start-up and closed-loop measurement as the HTTP benchmark

DEFAULT_PATH = "/consultations/{consultation}"


# --- the burst (run in its own process) ---------------------------------------


async def _one(host: str, port: int, path: str, number: int, timeout: float, out: list) -> None:
    started = time.perf_counter()
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
               f"X-Forwarded-For: 10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}\r\n\r\n").encode()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.read()  # to the end: Connection: close
            finally:
                writer.close()
        status = int(head[9:12])
        retry_after = b"\r\nretry-after:" in head.lower()
        out.append((status, time.perf_counter() - started, retry_after))
    except TimeoutError:
        out.append(("hang", time.perf_counter() - started, False))
    except (OSError, asyncio.IncompleteReadError) as error:
        out.append((f"error {type(error).__name__}", time.perf_counter() - started, False))


async def _burst(url: str, rate: float, seconds: float, timeout: float) -> dict:
    host, port_path = url.removeprefix("http://").split(":", 1)
    port, path = port_path.split("/", 1)
    out: list = []
    tasks = []
    start = time.perf_counter()
    total = int(rate * seconds)
    for number in range(total):
        due = start + number / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(_one(host, int(port), f"/{path}", number, timeout, out)))
    sent_for = time.perf_counter() - start
    await asyncio.gather(*tasks)
    return {"answers": out, "sent": total, "sent_for": sent_for}


def burst_main(url: str, rate: float, seconds: float, timeout: float) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    print(json.dumps(runner(_burst(url, rate, seconds, timeout))))


# --- report ----------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def report(result: dict, capacity: float, rate: float) -> bool:
    answers = result["answers"]
    statuses = Counter(status for status, _latency, _retry in answers)
    served = [latency for status, latency, _retry in answers if status == 200]
    refused = [(latency, retry) for status, latency, retry in answers if status in (429, 503)]
    failed = {status: n for status, n in statuses.items() if status not in (200, 429, 503)}
    print(f"capacity {capacity:.0f} req/s; burst {result['sent']} requests at {rate:.0f}/s "
          f"(sent in {result['sent_for']:.1f} s = {result['sent'] / max(result['sent_for'], 0.001):.0f}/s)")
    print("answers: " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items(), key=str)))
    print(f"served (200)      p50 {percentile(served, 0.5):8.1f} ms  p99 {percentile(served, 0.99):8.1f} ms  "
          f"max {percentile(served, 1.0):8.1f} ms")
    print(f"refused (429/503) p50 {percentile([r[0] for r in refused], 0.5):8.1f} ms  "
          f"p99 {percentile([r[0] for r in refused], 0.99):8.1f} ms  max {percentile([r[0] for r in refused], 1.0):8.1f} ms"
          f"  with Retry-After: {sum(r[1] for r in refused)}/{len(refused)}")
    checks = {
        "no 5xx other than 503": not any(isinstance(s, int) and s >= 500 and s != 503 for s in failed),
        "no hang, no connection error": not any(isinstance(s, str) for s in failed),
        "every 429/503 has Retry-After": all(r[1] for r in refused),
    }
    for name, ok in checks.items():
        print(f"{'OK  ' if ok else 'FAIL'} {name}")
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default=DEFAULT_PATH, help="page to load ({consultation}, {live_session} filled in)")
    parser.add_argument("--factor", type=float, default=4.0, help="burst rate as a multiple of the capacity")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the burst")
    parser.add_argument("--timeout", type=float, default=10.0, help="an answer later than this is a hang")
    parser.add_argument("--concurrency", type=int, default=16, help="connections for the capacity measurement")
    parser.add_argument("--capacity-seconds", type=float, default=5.0)
    parser.add_argument("--page-cache", action="store_true", help="keep the page cache on")
    parser.add_argument("--max-in-flight", type=int, help="ENGAGEMENT_MAX_IN_FLIGHT for the server")
    parser.add_argument("--burst-load", metavar="URL", help=argparse.SUPPRESS)  # internal: be the burst
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.burst_load:
        return burst_main(args.burst_load, args.rate, args.seconds, args.timeout)

    sys.stdout.reconfigure(line_buffering=True)
    tmpdir = Path(tempfile.mkdtemp(prefix="engagement-burst-"))
    server = None
    try:
        env = http_bench.app_environment(tmpdir, 1, page_cache=args.page_cache)
        if args.max_in_flight:
            env["ENGAGEMENT_MAX_IN_FLIGHT"] = str(args.max_in_flight)
        if not http_bench.prepare_app(env):
            sys.exit(1)
        server = http_bench.start_app(http_bench.DEFAULT_SERVER, 1, env, tmpdir)
        server.wait_ready()
        path = http_bench.sample_paths(server, {"page": args.path})["page"]
        print(f"# {path}, page cache {'on' if args.page_cache else 'off'}, "
              f"max in flight {env.get('ENGAGEMENT_MAX_IN_FLIGHT', 'default')}, 1 worker")
        capacity = http_bench.measure(server, path, args.capacity_seconds, args.concurrency)["rps"]
        rate = capacity * args.factor
        cmd = [sys.executable, __file__, "--burst-load", server.url(path), "--rate", str(rate),
               "--seconds", str(args.seconds), "--timeout", str(args.timeout)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"burst generator failed:\n{done.stderr[-2000:]}")
        ok = report(json.loads(done.stdout), capacity, rate)
        alive = http_bench.measure(server, "/healthz", 1.0, 1)
        print(f"{'OK  ' if alive['errors'] == 0 and alive['rps'] > 0 else 'FAIL'} answering normally right after "
              f"({alive['rps']:.0f} req/s on /healthz)")
        sys.exit(0 if ok else 1)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
