"""Live interview fan-out: N websocket viewers, the host publishing 10 events a second.

    .venv/bin/python bench/live_ws.py                       # 2,000 viewers, one server process
    .venv/bin/python bench/live_ws.py --viewers 500 --seconds 20
    ENGAGEMENT_REDIS_URL=redis://127.0.0.1:6379/7 ENGAGEMENT_DATABASE_URL=postgresql://... \
        .venv/bin/python bench/live_ws.py --processes 2     # two server processes behind Redis streams

It migrates the database named by ENGAGEMENT_DATABASE_URL (default: a fresh SQLite file in a temporary
directory; do not point it at data you keep), creates a host, starts ``python -m engagement serve``
once per process, announces and starts a session, connects the viewers (spread over the processes),
then posts host remarks through the first process at ``--rate`` per second. Each remark carries its
send time; every viewer records when each event arrived.

Printed: viewers, events, delivery latency p50/p99 (post → viewer), events lost (must be 0), server
memory per connection (growth of the server processes' RSS while the viewers connected, divided by
the viewers), and, for scale, the latency of a bare ``GET /healthz`` measured in the same run.
Viewers and server share this machine, so the client side is part of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import httpx
import uvloop
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
HOST_USER, HOST_PASSWORD = "bench_host", "bench-host-password"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = (log_dir / f"server-{port}.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "engagement", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server on {port} did not start; see {log.name}")


class Viewer:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.seqs: set[int] = set()
        self.socket = None

    async def run(self, url: str, ready: list[int]) -> None:
        # Plain ``async for`` (no per-message timeout task): the client must cost less than the server.
        async with connect(url, max_queue=None, ping_interval=None, open_timeout=120, compression=None) as socket:
            self.socket = socket
            ready.append(1)
            with suppress(ConnectionClosed):
                async for raw in socket:
                    now = time.time()
                    if '"remark"' not in raw:
                        continue
                    event = json.loads(raw)
                    if event["content"].startswith("t="):
                        self.latencies.append(now - float(event["content"][2:]))
                        self.seqs.add(event["seq"])

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close()


async def bench(args: argparse.Namespace) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (65535, 65535)) if resource.getrlimit(resource.RLIMIT_NOFILE)[1] >= 65535 else None
    work = Path(tempfile.mkdtemp(prefix="live-bench-"))
    env = dict(os.environ)
    env.setdefault("ENGAGEMENT_DATABASE_URL", f"sqlite:///{work}/bench.sqlite3")
    env.setdefault("ENGAGEMENT_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijkl")
    env["ENGAGEMENT_ENV"] = "development"
    env.setdefault("ENGAGEMENT_WS_CONNECTIONS_PER_ADDRESS", "100000")  # every viewer comes from 127.0.0.1
    if args.processes > 1 and not env.get("ENGAGEMENT_REDIS_URL"):
        raise SystemExit("--processes 2 needs ENGAGEMENT_REDIS_URL (the processes share events through Redis streams)")
    await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "engagement", "migrate"], cwd=ROOT, env=env,
                            check=True, capture_output=True)
    await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "engagement", "create-staff", "--username", HOST_USER,
                                             "--password", HOST_PASSWORD, "--role", "host"],
                            cwd=ROOT, env=env, check=False, capture_output=True)  # the account may exist already
    servers = [start_server(env, work) for _ in range(args.processes)]
    try:
        await run(args, servers)
    finally:
        for process, _base in servers:
            process.terminate()
        for process, _base in servers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def run(args: argparse.Namespace, servers: list[tuple[subprocess.Popen, str]]) -> None:
    first = servers[0][1]
    async with httpx.AsyncClient(base_url=first, timeout=30) as http:
        token = (await http.post("/api/v1/auth/login", json={"username": HOST_USER, "password": HOST_PASSWORD})).json()["token"]
        host = {"Authorization": f"Bearer {token}"}
        created = await http.post("/api/v1/live-sessions", headers=host, json={
            "kind": "interview", "title": "基准测试", "guests": [{"name": "嘉宾", "title": "局长"}],
            "scheduled_at": "2026-12-05T10:00:00+08:00"})
        session_id = created.json()["id"]
        await http.post(f"/api/v1/live-sessions/{session_id}/start", headers=host)

        started = time.perf_counter()
        health = []
        for _ in range(50):
            t0 = time.perf_counter()
            await http.get("/healthz")
            health.append(time.perf_counter() - t0)

        rss_before = sum(rss_kib(process.pid) for process, _ in servers)
        viewers = [Viewer() for _ in range(args.viewers)]
        ready: list[int] = []
        gate = asyncio.Semaphore(50)

        async def open_viewer(index: int, viewer: Viewer) -> None:
            base = servers[index % len(servers)][1].replace("http://", "ws://")
            async with gate:
                task = asyncio.create_task(viewer.run(f"{base}/ws/live-sessions/{session_id}", ready))
                while len(ready) <= index and not task.done():
                    await asyncio.sleep(0.01)
            await task

        tasks = [asyncio.create_task(open_viewer(i, v)) for i, v in enumerate(viewers)]
        while len(ready) < args.viewers:
            await asyncio.sleep(0.2)
            failed = [t for t in tasks if t.done() and t.exception()]
            if failed:
                raise SystemExit(f"a viewer could not connect: {failed[0].exception()!r}")
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(2)
        rss_after = sum(rss_kib(process.pid) for process, _ in servers)

        post_seconds: list[float] = []

        async def post_remark() -> bool:
            t0 = time.perf_counter()
            response = await http.post(f"/api/v1/live-sessions/{session_id}/remarks", headers=host,
                                       json={"content": f"t={time.time():.6f}"})
            post_seconds.append(time.perf_counter() - t0)
            return response.status_code == 201

        # On a schedule, not one after another: a slow answer must not lower the rate.
        interval = 1 / args.rate
        next_at = time.perf_counter()
        end_at = next_at + args.seconds
        posts = []
        while time.perf_counter() < end_at:
            posts.append(asyncio.create_task(post_remark()))
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        posted = sum(await asyncio.gather(*posts))
        await asyncio.sleep(args.grace)
        await asyncio.gather(*(viewer.stop() for viewer in viewers), return_exceptions=True)
        await asyncio.gather(*tasks, return_exceptions=True)

    latencies = sorted(latency for viewer in viewers for latency in viewer.latencies)
    lost = sum(posted - len(viewer.seqs) for viewer in viewers)

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    print(f"processes          {args.processes} ({'Redis streams' if args.processes > 1 or os.environ.get('ENGAGEMENT_REDIS_URL') else 'memory channels'})")
    print(f"viewers            {args.viewers} (connected in {connect_seconds:.1f} s)")
    print(f"events posted      {posted} ({args.rate}/s for {args.seconds} s); deliveries {len(latencies)}")
    print(f"latency p50 / p99  {pct(latencies, 0.50):.1f} ms / {pct(latencies, 0.99):.1f} ms")
    print(f"events lost        {lost}")
    post_seconds.sort()
    print(f"host POST p50/p99  {pct(post_seconds, 0.50):.1f} ms / {pct(post_seconds, 0.99):.1f} ms (part of the delivery latency)")
    print(f"memory/connection  {(rss_after - rss_before) / max(1, args.viewers):.1f} KiB (server RSS {rss_before // 1024} -> {rss_after // 1024} MiB)")
    print(f"bare GET /healthz  p50 {statistics.median(health) * 1000:.1f} ms (ratio p50 delivery / healthz: "
          f"{pct(latencies, 0.5) / (statistics.median(health) * 1000):.1f}x)")
    if lost:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=1, choices=[1, 2])
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--grace", type=float, default=5.0, help="seconds to wait for the last deliveries")
    uvloop.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
