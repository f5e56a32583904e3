"""Live interview fan-out: N websocket viewers of one session, the host approving and answering questions.

    .venv/bin/python bench/live_ws.py                             # raw, bare and the app, 5,000 viewers, 1 process
    .venv/bin/python bench/live_ws.py --targets app --viewers 500
    ENGAGEMENT_REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/live_ws.py --processes 2
    .venv/bin/python bench/live_ws.py --pin        # the client on one CPU, the servers on the others
    ENGAGEMENT_DATABASE_URL=<the proxy's> .venv/bin/python bench/live_ws.py --url http://127.0.0.1:<nginx port>

Three servers are measured side by side in one sitting, with the same client:

- ``raw``: the ``websockets`` library's own server writing each frame with ``broadcast()`` (Python's limit);
- ``bare``: a Litestar websocket under uvicorn, each event encoded once and sent to every socket with
  ``gather`` (the framework's limit; both in ``bench/live_refs.py``);
- ``app``: ``python -m engagement serve`` (``--processes`` of them; two share events through Redis streams),
  on the database named by ENGAGEMENT_DATABASE_URL (default: a fresh SQLite file in a temporary directory;
  it is migrated: do not point it at data you keep).

For the app, a host announces and starts a session and posts ``--history`` remarks (so that every viewer
connecting has that much to catch up), citizens verified through the development SMS outbox ask
``--questions`` questions, then the viewers connect (a separate client process on uvloop, spread over the
processes), and the host approves and answers each question, one request every ``--interval`` seconds
(2 events per question). For the references the same number of events is published by ``GET /publish``.

Printed per server: the time to connect all viewers, delivery latency p50/p99/max (from the start of the
host's request to each viewer's receipt), events lost (must be 0), server memory per connection (growth of
the server processes' RSS while the viewers connected, divided by the viewers), the host's request
p50/p99 and, for the app, the catch-up reads from the database (counted from the server log); then the
ratios to ``raw``. Everything shares this machine, so the client is part of what is measured.

``--url`` measures servers already running behind that address instead of starting the app (the production
topology of ``bench/proxy.py``: nginx in front of two web processes sharing Redis). ENGAGEMENT_DATABASE_URL
must name their database (``bench/proxy.py`` prints it), where the benchmark's host account is created; the
servers need ``ENGAGEMENT_ENV=development`` (the SMS outbox), ``ENGAGEMENT_JOBS=eager`` (no Celery worker),
``ENGAGEMENT_WS_CONNECTIONS_PER_ADDRESS`` above the viewers (they all come from one address) and a file limit
above twice the viewers for nginx (``ulimit -n``). Memory and catch-up reads are then not measured (the
processes are not ours): their columns show nothing. The references still run here, in the same sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

import httpx
import uvloop

ROOT = Path(__file__).resolve().parent.parent
HOST_USER, HOST_PASSWORD = "bench_host", "bench-host-password"
SEQ = re.compile(r'"seq":\s*(\d+)')
CATCH_UP_READ = "live catch-up read from the database"  # logged by live_sessions/ws.py for each read


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


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


# ---------- the viewers: a separate process ----------


def quiet_garbage_collector() -> None:
    """No collections in the client while it times deliveries (it holds 5,000 connections).

    Measured with ``gc.callbacks``: the client's own full collections took 150-350 ms and its younger ones
    20-55 ms at every event, stamped late whatever the server, so they made the spread between sittings.
    The frames the client reads are freed by reference counting; it is re-enabled before the results.
    """
    gc.collect()
    gc.freeze()
    gc.disable()


def per_event(arrivals: list[dict[int, float]], urls: list[str], wanted: range, first: int,
              times: list[float]) -> list[list[str]]:
    """Per event and per server URL: the first, median and last viewer's latency in ms (``--per-event``)."""
    rows = []
    for seq in wanted:
        row = [f"seq {seq}"]
        for server, _url in enumerate(urls):
            got = sorted(mine[seq] - times[seq - first] for index, mine in enumerate(arrivals)
                         if index % len(urls) == server and seq in mine)
            row.append(f"{got[0] * 1000:.0f}/{got[len(got) // 2] * 1000:.0f}/{got[-1] * 1000:.0f}" if got else "-")
        rows.append(row)
    return rows


async def client_main() -> None:
    """Connect the viewers, say ``ready``, then record every sequenced frame's arrival until told the posts."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    config = json.loads(sys.stdin.readline())
    urls, count = config["urls"], config["viewers"]
    arrivals: list[dict[int, float]] = [{} for _ in range(count)]
    ready = asyncio.Event()
    connected = [0]
    failures: list[str] = []
    gate = asyncio.Semaphore(config["handshakes"])
    sockets = []

    async def viewer(index: int) -> None:
        mine = arrivals[index]
        try:
            async with gate:
                socket = await connect(urls[index % len(urls)], max_queue=None, ping_interval=None, open_timeout=120,
                                       compression=None)
        except Exception as error:  # noqa: BLE001 - counted and printed
            failures.append(repr(error))
            connected[0] += 1
            return
        sockets.append(socket)
        connected[0] += 1
        if connected[0] >= count:
            ready.set()
        with suppress(ConnectionClosed):
            async for raw in socket:
                match = SEQ.search(raw)
                if match:
                    mine[int(match.group(1))] = time.time()

    started = time.perf_counter()
    tasks = [asyncio.create_task(viewer(index)) for index in range(count)]
    while connected[0] < count:
        await asyncio.sleep(0.05)
    connect_seconds = time.perf_counter() - started
    quiet_garbage_collector()
    print("ready " + json.dumps({"connect_seconds": connect_seconds, "failures": failures[:3],
                                 "failed": len(failures)}), flush=True)
    loop = asyncio.get_running_loop()
    posts = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    first, times = posts["first_seq"], posts["post_times"]
    wanted = range(first, first + len(times))
    deadline = time.monotonic() + config["grace"]
    while time.monotonic() < deadline and not all(all(seq in mine for seq in wanted) for mine in arrivals):
        await asyncio.sleep(0.2)
    latencies = sorted(mine[seq] - times[seq - first] for mine in arrivals for seq in wanted if seq in mine)
    lost = sum(1 for mine in arrivals for seq in wanted if seq not in mine)
    gc.enable()
    print("result " + json.dumps({"latencies": latencies, "lost": lost,
                                  "per_event": per_event(arrivals, urls, wanted, first, times)}), flush=True)
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    for task in tasks:
        task.cancel()


# ---------- the servers ----------


def wait_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server {base} did not start; see {log}")


# --pin: the client gets the first CPU, every server (with its threads and children) the others, so that the
# client's reading of 5,000 sockets and the servers' writing do not take turns on the same cores.
CPU_SETS: dict[str, set[int]] = {}


def pinned_to(role: str):
    """A ``preexec_fn`` putting the new process on the CPUs of ``role`` ("client" or "server"), or None."""
    cpus = CPU_SETS.get(role)
    return None if cpus is None else (lambda: os.sched_setaffinity(0, cpus))


def pin_cpus() -> None:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("--pin needs at least 2 CPUs")
    CPU_SETS.update(client={cpus[0]}, server=set(cpus[1:]))


def start(command: list[str], env: dict[str, str], log_dir: Path, name: str) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = log_dir / f"{name}-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, preexec_fn=pinned_to("server"))  # noqa: PLW1509
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, process, log)
    return process, base, log


def stop(servers) -> None:
    servers = [server for server in servers if server[0] is not None]  # not those of --url
    for process, _base, _log in servers:
        process.send_signal(signal.SIGINT)  # uvicorn stops as for SIGTERM; py-spy (--profile) writes its output
    for process, _base, _log in servers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


class AppScene:
    """The application: a live session with history, questions waiting, a host who approves and answers."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.env = dict(os.environ)
        self.env.setdefault("ENGAGEMENT_DATABASE_URL", f"sqlite:///{work}/bench.sqlite3")
        self.env.setdefault("ENGAGEMENT_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijkl")
        self.env["ENGAGEMENT_ENV"] = "development"
        self.env.setdefault("ENGAGEMENT_WS_CONNECTIONS_PER_ADDRESS", "100000")  # every viewer comes from 127.0.0.1
        self.env.setdefault("ENGAGEMENT_JOBS", "eager")  # SMS codes without a Celery worker
        self.work = work
        self.questions: list[int] = []

    def start(self) -> list:
        if self.args.url:  # servers already running (bench/proxy.py): only the host's account is ours to make
            if not os.environ.get("ENGAGEMENT_DATABASE_URL"):
                raise SystemExit("--url needs ENGAGEMENT_DATABASE_URL: the database of the servers behind it")
            subprocess.run([sys.executable, "-m", "engagement", "create-staff", "--username", HOST_USER, "--password",
                            HOST_PASSWORD, "--role", "host"], cwd=ROOT, env=self.env, check=False, capture_output=True)
            return [(None, self.args.url.rstrip("/"), None)]
        if self.args.processes > 1 and not self.env.get("ENGAGEMENT_REDIS_URL"):
            raise SystemExit("--processes 2 needs ENGAGEMENT_REDIS_URL (the processes share events through Redis)")
        subprocess.run([sys.executable, "-m", "engagement", "migrate"], cwd=ROOT, env=self.env, check=True,
                       capture_output=True)
        subprocess.run([sys.executable, "-m", "engagement", "create-staff", "--username", HOST_USER, "--password",
                        HOST_PASSWORD, "--role", "host"], cwd=ROOT, env=self.env, check=False, capture_output=True)
        command = [sys.executable, "-m", "engagement", "serve", "--server", self.args.server]
        return [start(self._profiled(command, n), self.env, self.work, f"app{n}") for n in range(self.args.processes)]

    def _profiled(self, command: list[str], n: int) -> list[str]:
        """Under ``--profile`` py-spy starts the server and writes its collapsed stacks to app<n>-profile.txt
        (memory figures then include py-spy)."""
        if not self.args.profile:
            return command
        return [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "200",
                "--output", str(self.work / f"app{n}-profile.txt"), "--", *command]

    async def prepare(self, http: httpx.AsyncClient) -> int:
        """Create the scene; returns the sequence number the first measured event will have."""
        token = (await http.post("/api/v1/auth/login", json={"username": HOST_USER, "password": HOST_PASSWORD})).json()
        self.host = {"Authorization": f"Bearer {token['token']}"}
        created = await http.post("/api/v1/live-sessions", headers=self.host, json={
            "kind": "interview", "title": "基准测试", "guests": [{"name": "嘉宾", "title": "局长"}],
            "scheduled_at": "2026-12-05T10:00:00+08:00"})
        self.session_id = created.json()["id"]
        await http.post(f"/api/v1/live-sessions/{self.session_id}/start", headers=self.host)
        for n in range(self.args.history):
            await http.post(f"/api/v1/live-sessions/{self.session_id}/remarks", headers=self.host,
                            json={"content": f"开场白第{n + 1}段。"})
        for n in range(self.args.questions):
            citizen = await self._citizen(http, n)
            asked = await http.post(f"/api/v1/live-sessions/{self.session_id}/questions", headers=citizen,
                                    json={"content": f"第{n + 1}个问题：加装电梯的补贴标准是多少？"})
            assert asked.status_code == 201, asked.text
            self.questions.append(asked.json()["id"])
        return 2 + self.args.history  # 1 is the session going live

    async def _citizen(self, http: httpx.AsyncClient, n: int) -> dict[str, str]:
        phone = f"1390000{n:04d}"
        assert (await http.post("/api/v1/sms/codes", json={"phone": phone})).status_code == 202
        body = next(m["body"] for m in (await http.get("/dev/sms-outbox")).json() if m["phone"] == f"+86{phone}")
        answer = await http.post("/api/v1/sms/verify", json={"phone": phone, "code": re.search(r"\d{6}", body).group()})
        return {"Authorization": f"Bearer {answer.json()['citizen_token']}"}

    def actions(self):
        for question in self.questions:
            yield f"/api/v1/questions/{question}/moderate", {"action": "approve"}, 200
            yield f"/api/v1/questions/{question}/answer", {"answer": f"回答{question}：每台最高补贴20万元。"}, 201

    def socket_path(self) -> str:
        return f"/ws/live-sessions/{self.session_id}"

    def catch_up_reads(self, servers) -> int | None:
        if any(log is None for _process, _base, log in servers):
            return None
        return sum(log.read_text(errors="replace").count(CATCH_UP_READ) for _process, _base, log in servers)


class ReferenceScene:
    def __init__(self, args: argparse.Namespace, work: Path, which: str) -> None:
        self.args, self.work, self.which = args, work, which

    def start(self) -> list:
        return [start([sys.executable, str(ROOT / "bench" / "live_refs.py"), self.which], dict(os.environ),
                      self.work, self.which)]

    async def prepare(self, http: httpx.AsyncClient) -> int:
        self.host = {}
        await http.get("/healthz")  # the host's connection is open before the first measured request
        return 1

    def actions(self):
        for n in range(2 * self.args.questions):
            yield None, {"content": f"第{n + 1}条：每台最高补贴20万元。"}, 200

    def socket_path(self) -> str:
        return "/ws/live-sessions/1"

    def catch_up_reads(self, servers) -> None:
        return None


async def measure(args: argparse.Namespace, scene, work: Path) -> dict:
    servers = await asyncio.to_thread(scene.start)
    try:
        return await _measure(args, scene, servers)
    finally:
        await asyncio.to_thread(stop, servers)


async def _measure(args: argparse.Namespace, scene, servers) -> dict:
    async with httpx.AsyncClient(base_url=servers[0][1], timeout=60) as http:
        first_seq = await scene.prepare(http)
        measured = all(process is not None for process, _b, _l in servers)
        rss_before = sum(rss_kib(process.pid) for process, _b, _l in servers) if measured else 0
        urls = [base.replace("http://", "ws://") + scene.socket_path() for _p, base, _l in servers]
        client = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--client", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            limit=256 * 1024 * 1024, preexec_fn=pinned_to("client"))
        client.stdin.write((json.dumps({"urls": urls, "viewers": args.viewers, "grace": args.grace,
                                        "handshakes": args.handshakes}) + "\n").encode())
        await client.stdin.drain()
        ready = json.loads((await client.stdout.readline()).decode().removeprefix("ready "))
        await asyncio.sleep(2)  # let the viewer counts settle
        rss_after = sum(rss_kib(process.pid) for process, _b, _l in servers) if measured else 0
        post_times, request_seconds = [], []
        for path, body, status in scene.actions():
            post_times.append(time.time())
            t0 = time.perf_counter()
            if path is None:
                response = await http.get("/publish", params=body)
            else:
                response = await http.post(path, json=body, headers=scene.host)
            request_seconds.append(time.perf_counter() - t0)
            assert response.status_code == status, response.text
            await asyncio.sleep(max(0.0, args.interval - (time.perf_counter() - t0)))
        client.stdin.write((json.dumps({"first_seq": first_seq, "post_times": post_times}) + "\n").encode())
        await client.stdin.drain()
        result = json.loads((await client.stdout.readline()).decode().removeprefix("result "))
        await client.wait()
    latencies = result["latencies"]
    request_seconds.sort()
    return {
        "connect": ready["connect_seconds"], "failed": ready["failed"], "failures": ready["failures"],
        "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99), "max": latencies[-1] * 1000 if latencies else 0,
        "lost": result["lost"], "kib": (rss_after - rss_before) / max(1, args.viewers) if measured else None,
        "request_p50": pct(request_seconds, 0.5), "request_p99": pct(request_seconds, 0.99),
        "reads": scene.catch_up_reads(servers), "per_event": result["per_event"],
    }


async def bench(args: argparse.Namespace) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = Path(tempfile.mkdtemp(prefix="live-bench-"))
    results = {}
    for target in args.targets:
        scene = AppScene(args, work) if target == "app" else ReferenceScene(args, work, target)
        label = f"app ({args.processes} process{'es' if args.processes > 1 else ''}, {args.server})" \
            if target == "app" else target
        if target == "app" and args.url:
            label = "app (--url)"
        results[label] = await measure(args, scene, work)
        report_line(label, results[label])
        if args.per_event:
            print("  first/median/last viewer (ms), per event, per server: "
                  + "; ".join(" ".join(row) for row in results[label]["per_event"]))
    print()
    print(f"{args.viewers} viewers, {2 * args.questions} events, one every {args.interval} s; logs in {work}")
    print(f"{'server':<28} {'connect':>8} {'p50':>8} {'p99':>8} {'max':>8} {'lost':>5} {'KiB/conn':>8} "
          f"{'req p99':>8} {'db reads':>8}  ratios to raw (p99, KiB/conn)")
    raw = results.get("raw")
    for label, row in results.items():
        ratios = f"x{row['p99'] / raw['p99']:.2f}" if raw else ""
        if raw and raw["kib"] and row["kib"] is not None:
            ratios += f", x{row['kib'] / raw['kib']:.2f}"
        reads = "" if row["reads"] is None else str(row["reads"])
        kib = "" if row["kib"] is None else f"{row['kib']:.1f}"
        print(f"{label:<28} {row['connect']:7.1f}s {row['p50']:6.0f}ms {row['p99']:6.0f}ms {row['max']:6.0f}ms "
              f"{row['lost']:>5} {kib:>8} {row['request_p99']:6.0f}ms {reads:>8}  {ratios}")
    if any(row["lost"] or row["failed"] for row in results.values()):
        raise SystemExit(1)


def report_line(label: str, row: dict) -> None:
    failed = f", {row['failed']} failed to connect: {row['failures']}" if row["failed"] else ""
    kib = "memory not measured" if row["kib"] is None else f"{row['kib']:.1f} KiB/conn"
    print(f"{label}: connected in {row['connect']:.1f} s{failed}; p50/p99/max {row['p50']:.0f}/{row['p99']:.0f}/"
          f"{row['max']:.0f} ms; lost {row['lost']}; {kib}; host request p50/p99 "
          f"{row['request_p50']:.0f}/{row['request_p99']:.0f} ms", flush=True)


def main() -> None:
    if "--client" in sys.argv:
        uvloop.run(client_main())
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", nargs="+", choices=["raw", "bare", "app"], default=["raw", "bare", "app"])
    parser.add_argument("--viewers", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=1, choices=[1, 2], help="app server processes")
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn", help="the app's ASGI server")
    parser.add_argument("--questions", type=int, default=5, help="each is approved and answered: 2 events")
    parser.add_argument("--history", type=int, default=20, help="remarks posted before the viewers connect")
    parser.add_argument("--per-event", action="store_true",
                        help="print each event's first/median/last viewer latency per server process")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between the host's requests")
    parser.add_argument("--handshakes", type=int, default=100, help="viewer handshakes in flight at once")
    parser.add_argument("--profile", action="store_true", help="run the app under py-spy (collapsed stacks in the log dir)")
    parser.add_argument("--url", default="", help="measure the app already served there (bench/proxy.py's nginx) "
                        "instead of starting it; see above")
    parser.add_argument("--pin", action="store_true", help="client on the first CPU, the servers on the others "
                        "(for every target alike)")
    parser.add_argument("--grace", type=float, default=15.0, help="seconds to wait for the last deliveries")
    args = parser.parse_args()
    if args.pin:
        pin_cpus()
    uvloop.run(bench(args))


if __name__ == "__main__":
    main()
