"""The production topology on one machine: nginx in front of two web processes sharing Redis.

nginx (Debian's package) runs with docker/nginx.conf.template rendered into a temporary directory (its own
pid file, logs and temporary files, an unprivileged port), in front of ``--processes`` (default 2)
``python -m engagement serve`` processes that trust it (``ENGAGEMENT_TRUSTED_PROXIES=127.0.0.1``) and share
live events, sessions and rate limits through Redis. nginx serves /static itself. The script prints the
base URL and the environment of the web processes, then waits for Ctrl-C; point the benchmarks at it:

    ENGAGEMENT_REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/proxy.py
    .venv/bin/python bench/proxy.py --database-url postgresql://postgres@127.0.0.1:5432/bench --rate-limit 600
    .venv/bin/python bench/proxy.py --render --listen 80 --upstream 10.0.0.5:8000 --upstream 10.0.0.6:8000 \\
        --static-root /app/frontend/static --runtime-dir /run/nginx --workers auto    # a production nginx.conf

Without ``--database-url`` the web processes use a fresh SQLite file, migrated and filled with the demo
data. Every client reaches the web processes from nginx's address, so the per-address rate limit would
count the whole benchmark as one visitor: ``--rate-limit`` (default 10,000,000 a minute) sets it.
tests/engagement/test_proxy.py starts the same topology through ``Topology``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "docker" / "nginx.conf.template"
STATIC_ROOT = ROOT / "frontend" / "static"
MIME_TYPES = Path("/etc/nginx/mime.types")
PROXY_ADDRESS = "127.0.0.1"  # where nginx connects to the web processes from
BENCH_RATE_LIMIT = 10_000_000
START_TIMEOUT = 60.0


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, which an unprivileged PATH may lack), or None when not installed."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if os.access(found, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_config(*, listen: str, upstreams: list[str], runtime_dir: Path | str, static_root: Path | str = STATIC_ROOT,
                  mime_types: Path | str = MIME_TYPES, workers: str = "1") -> str:
    """docker/nginx.conf.template with its placeholders (@NAME@) replaced."""
    values = {
        "LISTEN": listen,
        "UPSTREAMS": "\n".join(f"        server {upstream} max_fails=0;" for upstream in upstreams),
        "RUNTIME_DIR": str(runtime_dir),
        "STATIC_ROOT": str(static_root).rstrip("/"),
        "MIME_TYPES": str(mime_types),
        "WORKERS": workers,
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def wait_for(url: str, processes: list[subprocess.Popen], log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"exited before answering {url}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} after {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Topology:
    """nginx in front of ``processes`` web processes, for the duration of a ``with`` block.

    ``environment`` is the web processes' environment (database, Redis, limits); nginx's address is added
    to their trusted proxies. ``base_url`` is nginx's; ``backends`` the web processes' own URLs.
    """

    def __init__(self, environment: dict[str, str], workdir: Path, processes: int = 2, nginx_workers: str = "1"):
        self.environment = {**environment, "ENGAGEMENT_TRUSTED_PROXIES": PROXY_ADDRESS}
        self.workdir, self.count, self.nginx_workers = workdir, processes, nginx_workers
        self.web: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None
        self.backends: list[str] = []
        self.base_url = ""

    def __enter__(self) -> Self:
        try:
            self._start_web()
            self._start_nginx()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        if self.nginx is not None:
            _stop(self.nginx, signal.SIGQUIT)  # graceful: finish the requests in flight
        for process in self.web:
            _stop(process)

    def _start_web(self) -> None:
        for index in range(self.count):
            port = free_port()
            log = self.workdir / f"web-{index + 1}.log"
            with log.open("w") as out:
                self.web.append(subprocess.Popen(
                    [sys.executable, "-m", "engagement", "serve", "--host", "127.0.0.1", "--port", str(port)],
                    cwd=ROOT, env=self.environment, stdout=out, stderr=subprocess.STDOUT))
            self.backends.append(f"http://127.0.0.1:{port}")
        for index, backend in enumerate(self.backends):
            wait_for(f"{backend}/healthz", [self.web[index]], self.workdir / f"web-{index + 1}.log")

    def _start_nginx(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (`make proxy-deps` installs Debian's package)")
        runtime = self.workdir / "nginx"
        runtime.mkdir(exist_ok=True)
        runtime.chmod(0o755)  # started as root, nginx's workers run as nobody and write their temporary files here
        port = free_port()
        config = runtime / "nginx.conf"
        config.write_text(render_config(listen=f"127.0.0.1:{port}", runtime_dir=runtime, workers=self.nginx_workers,
                                        upstreams=[backend.removeprefix("http://") for backend in self.backends]),
                          encoding="utf-8")
        error_log = runtime / "error.log"
        command = [binary, "-p", str(runtime), "-c", str(config), "-e", str(error_log), "-g", "daemon off;"]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refused the configuration:\n{checked.stderr}")
        with (runtime / "stdout.log").open("w") as out:
            self.nginx = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self.base_url = f"http://127.0.0.1:{port}"
        wait_for(f"{self.base_url}/healthz", [self.nginx], error_log)


def bench_environment(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ENGAGEMENT_ENV", "development")
    env.setdefault("ENGAGEMENT_SECRET_KEY", "bench-proxy-" + "x" * 40)
    env["ENGAGEMENT_RATE_LIMIT"] = str(args.rate_limit)
    if args.redis_url:
        env["ENGAGEMENT_REDIS_URL"] = args.redis_url
    if args.processes > 1 and not env.get("ENGAGEMENT_REDIS_URL"):
        raise SystemExit("two web processes share events through Redis: set ENGAGEMENT_REDIS_URL or --redis-url")
    fresh = not args.database_url
    env["ENGAGEMENT_DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    commands = ["migrate", "demo"] if fresh else ["migrate"]
    for command in commands:
        subprocess.run([sys.executable, "-m", "engagement", command], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2, help="web processes behind nginx")
    parser.add_argument("--nginx-workers", default="1", help="nginx worker processes (production: auto)")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file with the demo data")
    parser.add_argument("--redis-url", default="", help="default: ENGAGEMENT_REDIS_URL")
    parser.add_argument("--rate-limit", type=int, default=BENCH_RATE_LIMIT, help="requests per minute per address")
    parser.add_argument("--render", action="store_true", help="print a rendered nginx.conf and exit")
    parser.add_argument("--listen", default="80")
    parser.add_argument("--upstream", action="append", default=[], help="host:port of a web process (repeat)")
    parser.add_argument("--static-root", default=str(STATIC_ROOT))
    parser.add_argument("--runtime-dir", default="/run/nginx")
    parser.add_argument("--workers", default="auto", help="with --render: nginx worker processes")
    args = parser.parse_args()
    if args.render:
        print(render_config(listen=args.listen, upstreams=args.upstream or ["127.0.0.1:8000"], workers=args.workers,
                            runtime_dir=args.runtime_dir, static_root=args.static_root), end="")
        return
    workdir = Path(tempfile.mkdtemp(prefix="engagement-proxy-"))
    env = bench_environment(args, workdir)
    with Topology(env, workdir, args.processes, args.nginx_workers) as topology:
        print(topology.base_url, flush=True)
        print(f"# nginx {topology.base_url} -> {' '.join(topology.backends)}; logs in {workdir}", file=sys.stderr)
        print(f"# the web processes' environment: ENGAGEMENT_DATABASE_URL={env['ENGAGEMENT_DATABASE_URL']} "
              f"ENGAGEMENT_REDIS_URL={env.get('ENGAGEMENT_REDIS_URL', '')}", file=sys.stderr)
        print("# Ctrl-C (or SIGTERM) stops nginx and the web processes", file=sys.stderr)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
