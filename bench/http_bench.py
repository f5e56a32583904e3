"""HTTP benchmark: the application's pages against a bare Litestar endpoint.

The application is started exactly as in production (``python -m engagement
serve``) on a temporary SQLite database prepared with ``migrate`` and ``demo``;
the bare app (bench/bare_app.py) through the same ``engagement.serving.serve``.
Load comes from a separate process on loopback (``wrk`` when /usr/bin/wrk
exists, else the asyncio keep-alive generator below). Prints requests/s, p50
and p99 latency, the servers' CPU use and the ratios against the bare endpoint
measured in the same run. See bench/README.md.

    .venv/bin/python bench/http_bench.py --duration 10 --concurrency 32 64
    .venv/bin/python bench/http_bench.py --compare-servers
    .venv/bin/python bench/http_bench.py --url http://127.0.0.1:PORT --cpu-pids PID ...   # a running server

With ``--url`` the application is not started: its pages are measured at that base URL (e.g. the nginx
topology of bench/proxy.py), the bare endpoint is still started here for the ratios, and the servers' CPU
is counted from the processes given by ``--cpu-pids`` (with their children; without it: not known).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engagement.serving import DEFAULT_SERVER, SERVERS  # noqa: E402

WRK = "/usr/bin/wrk"
WARMUP = 1.0
PROXY = "127.0.0.1"  # the servers trust it, so each request can carry its own client address
WRK_SCRIPT = """
request = function()
  local ip = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format(nil, nil, {["X-Forwarded-For"] = ip})
end
"""
BARE_PATH = "/bare"
LEGEND = """\
# cpu = the server's CPU use (100% = one core); req/cpu-s = requests per second of server CPU; ms cpu/req = its inverse;
# load = the load generator's CPU; others = the rest of the machine (near 0% for a clean figure);
# xN = ratio against the bare endpoint of the same server and concurrency (rps: higher is better)"""
# The hot public pages of issue 13; {consultation} and {live_session} are filled from the demo's lists.
APP_PATHS = {
    "home": "/",
    "consultations": "/consultations",
    "consultation": "/consultations/{consultation}",
    "live-sessions": "/live-sessions",
    "live-session": "/live-sessions/{live_session}",
    "statistics": "/statistics",
    "mailbox": "/mailbox",
    "letter": "/mailbox/letters/{letter}",
    "mailbox-search": "/mailbox/search?q=%E5%99%AA%E9%9F%B3",  # 噪音 (noise), a two-character term
    "rectifications": "/rectifications",
    "healthz": "/healthz",
}
SAMPLE_LINKS = {"consultation": ("/consultations", r'href="/consultations/(\d+)"'),
                "live_session": ("/live-sessions", r'href="/live-sessions/(\d+)"'),
                "letter": ("/mailbox", r'href="/mailbox/letters/([\w-]+)"')}


# --- servers ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server subprocess in its own session, its output in a log file."""

    def __init__(self, name: str, cmd: list[str], env: dict, port: int, ready_path: str, logdir: Path):
        self.name, self.port, self.ready_path = name, port, ready_path
        self.log = logdir / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url(self.ready_path), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class External:
    """An already running server at a base URL (``--url``); its CPU is that of ``pids`` and their children."""

    def __init__(self, base: str, pids: list[int]):
        self.base, self.pids = base.rstrip("/"), pids
        self.name = "external"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        with urllib.request.urlopen(self.url(APP_PATHS["healthz"]), timeout=timeout) as response:
            if response.status != 200:
                raise RuntimeError(f"{self.base}/healthz answered {response.status}")

    def stop(self) -> None:
        pass


def server_cpu_seconds(server) -> float | None:
    if isinstance(server, External):
        return sum(map(tree_cpu_seconds, server.pids)) if server.pids else None
    return tree_cpu_seconds(server.proc.pid)


def start_bare(server: str, workers: int, logdir: Path) -> Server:
    port = free_port()
    code = (
        "from engagement.serving import serve; "
        f"serve(app='bench.bare_app:app', port={port}, workers={workers}, server={server!r}, "
        f"log_level='warning', forwarded_allow_ips=({PROXY!r},))"
    )
    return Server(f"bare-{server}", [sys.executable, "-c", code], dict(os.environ), port, BARE_PATH, logdir)


def cli_accepts_server(env: dict) -> bool:
    """Whether ``python -m engagement serve`` has a ``--server`` option."""
    done = subprocess.run(
        [sys.executable, "-m", "engagement", "serve", "--help"], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )
    return "--server" in done.stdout


def start_app(server: str, workers: int, env: dict, logdir: Path) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "engagement", "serve", "--port", str(port), "--workers", str(workers)]
    if server != DEFAULT_SERVER:
        cmd += ["--server", server]
    return Server(f"app-{server}", cmd, env, port, APP_PATHS["healthz"], logdir)


def sample_paths(server: Server, paths: dict) -> dict:
    """``paths`` with the ids of the demo's first consultation and live session filled in."""
    ids = {}
    for name, (page, pattern) in SAMPLE_LINKS.items():
        with urllib.request.urlopen(server.url(page), timeout=10) as response:
            found = re.search(pattern, response.read().decode())
        ids[name] = found.group(1) if found else "1"
    return {label: path.format(**ids) for label, path in paths.items()}


def app_environment(tmpdir: Path, workers: int, page_cache: bool = True) -> dict:
    env = dict(os.environ)
    if not page_cache:
        env["ENGAGEMENT_PAGE_CACHE_SECONDS"] = "0"
    env["ENGAGEMENT_DATABASE_URL"] = f"sqlite:///{tmpdir / 'bench.sqlite3'}"
    env.setdefault("ENGAGEMENT_ENV", "development")
    env.setdefault("ENGAGEMENT_SECRET_KEY", secrets.token_urlsafe(36))
    env.setdefault("ENGAGEMENT_WEB_WORKERS", str(workers))
    env["ENGAGEMENT_TRUSTED_PROXIES"] = PROXY
    return env


def prepare_app(env: dict) -> bool:
    """Run ``migrate`` and ``demo``; False (with a clear message) when they fail."""
    for command in ("migrate", "demo"):
        result = subprocess.run(
            [sys.executable, "-m", "engagement", command], cwd=ROOT, env=env, capture_output=True, text=True,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            print(
                f"!! `python -m engagement {command}` failed (exit {result.returncode}); the application is not",
                file=sys.stderr,
            )
            print("!! measured, only the bare endpoint. Does engagement/__main__.py provide it yet?", file=sys.stderr)
            print("\n".join("!!   " + line for line in detail), file=sys.stderr)
            return False
    return True


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants."""
    children, times = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        child = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(child)
        times[child] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo += children.get(current, [])
    return total


def system_busy_seconds() -> float:
    """CPU time spent by the whole machine (all CPUs, everything but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


# --- load ------------------------------------------------------------------


def measure(server: Server, path: str, duration: float, concurrency: int) -> dict:
    """Drive ``path`` from a separate process; add the server's CPU use."""
    use_wrk = os.path.exists(WRK)
    if use_wrk:
        subprocess.run([WRK, "-t1", f"-c{concurrency}", f"-d{WARMUP:.0f}s", server.url(path)], capture_output=True, check=False)
    cpu_before, busy_before, started = server_cpu_seconds(server), system_busy_seconds(), time.monotonic()
    result = (
        run_wrk(server.url(path), duration, concurrency)
        if use_wrk
        else run_generator(server.url(path), duration, concurrency)
    )
    elapsed = time.monotonic() - started
    cpu_after = server_cpu_seconds(server)
    result["server_cpu"] = None if cpu_before is None else (cpu_after - cpu_before) / elapsed
    busy = (system_busy_seconds() - busy_before) / elapsed
    result["others_cpu"] = busy - (result["server_cpu"] or 0.0) - (result["load_cpu"] or 0.0)
    return result


def run_generator(url: str, duration: float, concurrency: int) -> dict:
    cmd = [sys.executable, __file__, "--load", url, "--duration", str(duration), "--concurrency", str(concurrency)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed on {url}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def run_wrk(url: str, duration: float, concurrency: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        cmd = [
            WRK,
            f"-t{min(2, concurrency)}",
            f"-c{concurrency}",
            f"-d{duration:.0f}s",
            "--latency",
            "-s",
            script.name,
            url,
        ]
        text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(pct: str) -> float:
        value, unit = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE).groups()
        return float(value) * scale[unit]

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(bad.group(1)) if bad else 0,
        "note": errors.group(0) if errors else "",
        "load_cpu": None,
    }


async def _connection(host: str, port: int, request: bytes, warm: float, end: float, out: dict) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while (started := time.perf_counter()) < end:
            out["sent"] += 1
            n = out["sent"]
            writer.write(request % (n >> 16 & 255, n >> 8 & 255, n & 255))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
            if length is None:  # chunked or close-delimited: not expected from Litestar
                raise RuntimeError(f"response without content-length: {head[:200]!r}")
            await reader.readexactly(int(length.group(1)))
            if started >= warm:
                out["latencies"].append(time.perf_counter() - started)
                out["errors"] += status != 200
            if re.search(rb"\r\nconnection:\s*close", head, re.IGNORECASE):
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _generate(url: str, duration: float, concurrency: int) -> dict:
    host, port_path = url.removeprefix("http://").split(":", 1)
    port, _slash, path = port_path.partition("/")
    # Each request comes "through the proxy" from its own client address, as on a busy portal,
    # so the per-client rate limit does not turn the measurement into one of 429 responses.
    path = path.replace("%", "%%")  # a percent-encoded query, not a placeholder of the address below
    request = f"GET /{path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-Forwarded-For: 10.%d.%d.%d\r\n\r\n".encode()
    warm = time.perf_counter() + WARMUP
    end = warm + duration
    out = {"latencies": [], "errors": 0, "sent": 0}
    cpu = time.process_time()
    await asyncio.gather(*(_connection(host, int(port), request, warm, end, out) for _ in range(concurrency)))
    latencies = sorted(out["latencies"])
    count = len(latencies)
    return {
        "rps": count / duration,
        "p50": latencies[count // 2] * 1000 if count else float("nan"),
        "p99": latencies[min(count - 1, int(count * 0.99))] * 1000 if count else float("nan"),
        "errors": out["errors"],
        "note": "",
        "load_cpu": (time.process_time() - cpu) / (duration + WARMUP),
    }


def load_main(url: str, duration: float, concurrency: int) -> None:
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    print(json.dumps(runner(_generate(url, duration, concurrency))))


# --- reports ---------------------------------------------------------------


def row(label: str, result: dict, base: dict | None) -> str:
    ratios = (
        ""
        if base is None
        else (
            f"  x{result['rps'] / base['rps']:.2f} rps  x{result['p50'] / base['p50']:.2f} p50  x{result['p99'] / base['p99']:.2f} p99"
        )
    )
    load = "" if result["load_cpu"] is None else f" load {result['load_cpu']:4.0%} others {result['others_cpu']:4.0%}"
    errors = f"  {result['errors']} non-200" if result["errors"] else ""
    cpu = result["server_cpu"]
    cpu_text = (
        "  cpu   n/a (no --cpu-pids)" if cpu is None else
        f"  cpu {cpu:4.0%} ({result['rps'] / max(cpu, 0.01):5.0f} req/cpu-s,"
        f" {1000 * cpu / max(result['rps'], 0.01):5.2f} ms cpu/req)"
    )
    return (
        f"{label:<34} {result['rps']:9.0f} req/s  p50 {result['p50']:7.2f} ms  p99 {result['p99']:7.2f} ms"
        f"{cpu_text}{load}{ratios}{errors} {result['note']}"
    )


def bench_server(server: str, args, env: dict | None, paths: dict, logdir: Path) -> None:
    """Measure the bare endpoint and ``paths`` of the app under ``server``."""
    servers = [start_bare(server, args.workers, logdir)]
    if args.url:
        servers.append(External(args.url, args.cpu_pids or []))
        env = {}
    elif env is not None and server != DEFAULT_SERVER and not cli_accepts_server(env):
        print(f"!! `python -m engagement serve` has no --server option: the application is not measured under {server}")
        env = None
    if env is not None and not args.url:
        servers.append(start_app(server, args.workers, env, logdir))
    try:
        for each in servers:
            each.wait_ready()
        if len(servers) > 1:
            paths = sample_paths(servers[1], paths)
        for concurrency in args.concurrency:
            base = measure(servers[0], BARE_PATH, args.duration, concurrency)
            print(row(f"{server} c={concurrency} bare {BARE_PATH}", base, None), flush=True)
            app_label = "via-url" if args.url else server
            for name, path in paths.items() if env is not None else ():
                result = measure(servers[1], path, args.duration, concurrency)
                print(row(f"{app_label} c={concurrency} {name} {path}", result, base), flush=True)
    finally:
        for each in servers:
            each.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (after 1 s warm-up)")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[64], help="open connections; several values allowed"
    )
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER)
    parser.add_argument("--compare-servers", action="store_true", help="bare and /healthz under every server")
    parser.add_argument("--bare-only", action="store_true", help="measure only the bare endpoint")
    parser.add_argument("--paths", nargs="+", choices=APP_PATHS, help="application pages to measure (default: all)")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="ENGAGEMENT_PAGE_CACHE_SECONDS=0: every request renders (the uncached cost)")
    parser.add_argument("--url", metavar="BASE", help="measure the pages of an already running server at BASE "
                        "(e.g. http://127.0.0.1:8080 from bench/proxy.py) instead of starting one")
    parser.add_argument("--cpu-pids", metavar="PID", type=int, nargs="+",
                        help="with --url: processes (with their children) whose CPU counts as the server's")
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)  # internal: be the load generator
    args = parser.parse_args()
    if args.load:
        return load_main(args.load, args.duration, args.concurrency[0])

    sys.stdout.reconfigure(line_buffering=True)
    tmpdir = Path(tempfile.mkdtemp(prefix="engagement-bench-"))
    try:
        env = app_environment(tmpdir, args.workers, page_cache=not args.no_page_cache)
        if args.url:
            if args.compare_servers or args.no_page_cache:
                parser.error("--url measures the server as it runs: no --compare-servers or --no-page-cache")
            env = None if args.bare_only else {}
        else:
            env = None if args.bare_only or not prepare_app(env) else env
        generator = "wrk" if os.path.exists(WRK) else "python asyncio generator (1 process)"
        cache = "as configured there" if args.url else "off (every request renders)" if args.no_page_cache else "on"
        where = f"application at {args.url}" if args.url else f"{args.workers} worker(s)"
        print(f"# {os.cpu_count()} CPUs, {where}, {args.duration:.0f} s per row, load: {generator}, "
              f"page cache {cache}")
        print(LEGEND)
        if args.compare_servers:
            for server in SERVERS:
                bench_server(server, args, env, {"healthz": APP_PATHS["healthz"]}, tmpdir)
        else:
            chosen = {name: APP_PATHS[name] for name in args.paths} if args.paths else APP_PATHS
            bench_server(args.server, args, env, chosen, tmpdir)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
