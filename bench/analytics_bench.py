"""Statistics at scale: N opinions (with their decision history) and M letters in PostgreSQL.

Loads a fresh PostgreSQL database (``--database-url``; its public schema is dropped first) with 36
departments, 120 consultations, N published opinions over a year (60% decided, of which one in
twenty re-decided a month later, each decision a ``workflow_event`` row) and M letters (85%
answered, 40% rated), by ``INSERT … SELECT generate_series`` (this measures the statistics, not
submission). Then, in one run:

1. a full recompute: the opinion facts rebuilt from the whole history, the scheduled job (facts caught
   up, every unfiltered table) and every table of a site-wide report for the year, in process
   (``--repeat`` times);
   and the letter counts rebuilt likewise;
2. each statistics endpoint timed sequentially over HTTP against ``python -m engagement serve``
   (p50 / p99 of ``--samples`` requests);
3. ``/statistics`` and ``/api/v1/statistics/adoption`` under load against the bare Litestar endpoint of
   the same run (bench/http_bench.py measures; xN = ratio to the bare endpoint).

    .venv/bin/python bench/analytics_bench.py --database-url postgresql://postgres@127.0.0.1:5432/bench_analytics
    .venv/bin/python bench/analytics_bench.py --database-url ... --opinions 100000 --letters 20000 --samples 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_bench import app_environment, measure, start_app, start_bare  # noqa: E402
from engagement.serving import DEFAULT_SERVER  # noqa: E402

DEPARTMENTS, CONSULTATIONS = 36, 120
DECISIONS = "ARRAY['adopted','partially_adopted','not_adopted']"
# Unfiltered answers come from the snapshots the job stored; filtered ones are computed per request.
ENDPOINTS = [
    "/api/v1/statistics/adoption?by=department",
    "/api/v1/statistics/adoption?by=consultation",
    "/api/v1/statistics/adoption?by=topic",
    "/api/v1/statistics/adoption?by=month",
    "/api/v1/statistics/adoption?by=department&period_start=2026-03-01&period_end=2026-03-31",
    "/api/v1/statistics/mailbox?by=department",
    "/api/v1/statistics/mailbox?by=month",
    "/api/v1/statistics/events",
    "/statistics",
    "/api/v1/statistics/mailbox?by=department&period_start=2026-03-01&period_end=2026-03-31",
    "/api/v1/statistics/adoption?by=consultation&department=d7",
    "/api/v1/statistics/adoption?by=month&period_start=2026-01-01&period_end=2026-12-31",
    "/api/v1/statistics/adoption?by=department&period_start=2026-03-01&period_end=2026-03-15&department=d7",
    "/statistics?period_start=2026-03-01&period_end=2026-03-31",
    "/api/v1/statistics/mailbox?by=month&period_start=2026-01-01&period_end=2026-12-31",
    "/api/v1/statistics/mailbox?by=month&period_start=2026-03-10&period_end=2026-05-20&department=d7",
]

SETUP = [
    ("INSERT INTO department (slug, name, description, is_receiving_desk, sort_order, created_at) "
     "SELECT 'd' || i, '部门' || i, '', i = 1, i, now() FROM generate_series(1, {departments}) i"),
    "INSERT INTO consultation_topic (title, description, created_at) VALUES ('专题', '', now())",
    "INSERT INTO citizen (phone_hash, phone_encrypted, created_at, last_verified_at) VALUES ('bench', '', 0, 0)",
    ("INSERT INTO consultation (department, topic, topic_position, title, summary, body, status, opens_at, "
     "closes_at, original_closes_at, view_count, created_by, created_at, published_at, closed_at, concluded_at) "
     "SELECT 1 + i % {departments}, CASE WHEN i % 3 = 0 THEN 1 END, 0, '征集' || i, '', '', 'closed', NULL, "
     "'2026-12-31', NULL, 0, NULL, '2026-01-01', '2026-01-01', NULL, NULL FROM generate_series(1, {consultations}) i"),
]
OPINIONS = (
    "INSERT INTO consultation_opinion (consultation, section, content, name, organization, citizen, dedupe_key, "
    "moderation, decision, reply, reviewer, reviewed_at, notify_by_sms, created_at) "
    "SELECT 1 + i % {consultations}, NULL, '意见', '', '', 1, 'bench:' || i, 'approved', "
    f"CASE WHEN i % 10 >= 6 THEN 'pending' WHEN i % 20 = 0 THEN ({DECISIONS})[1 + (i + 1) % 3] "
    f"ELSE ({DECISIONS})[1 + i % 3] END, '', NULL, NULL, false, "
    "timestamptz '2026-01-01 00:00+08' + (i::float / {opinions}) * interval '300 days' "
    "FROM generate_series(1, {opinions}) i"
)
EVENTS = [
    # first decisions, 20 days after the opinion (ids are 1..N in a fresh table)
    (f"INSERT INTO workflow_event (aggregate, target_id, transition, from_state, to_state, actor, actor_name, citizen, "
    f"note, detail, created_at) SELECT 'opinion', id, 'review_' || ({DECISIONS})[1 + id % 3], 'pending', "
    f"({DECISIONS})[1 + id % 3], NULL, 'system', NULL, '', '{{{{}}}}', created_at + interval '20 days' "
    "FROM consultation_opinion WHERE id % 10 < 6"),
    # one in twenty re-decided a month later
    (f"INSERT INTO workflow_event (aggregate, target_id, transition, from_state, to_state, actor, actor_name, citizen, "
    f"note, detail, created_at) SELECT 'opinion', id, 're_review_' || ({DECISIONS})[1 + (id + 1) % 3], "
    f"({DECISIONS})[1 + id % 3], ({DECISIONS})[1 + (id + 1) % 3], NULL, 'system', NULL, '', '{{{{}}}}', "
    "created_at + interval '50 days' FROM consultation_opinion WHERE id % 20 = 0"),
]
LETTERS = (
    "INSERT INTO mailbox_letter (tracking_number, query_code_hash, category, subject, body, writer_name, citizen, "
    "addressee, department, public_consent, status, received_at, due_date, reply, replied_at, reply_days, "
    "replied_on_time, rating, rating_comment, rated_at, published, published_at, public_subject, public_body, "
    "public_reply, search_text, search_bigrams) "
    "SELECT 'B-' || i, 'x', 'consultation', '来信', '来信', '某某', 1, 1, 1 + i % {departments}, false, "
    "CASE WHEN i % 100 < 85 THEN 'replied' ELSE 'assigned' END, received, "
    "(received AT TIME ZONE 'Asia/Shanghai')::date + 7, '', "
    "CASE WHEN i % 100 < 85 THEN received + (i % 12) * interval '1 day' END, NULL, NULL, "
    "CASE WHEN i % 10 < 4 THEN 1 + i % 5 END, '', NULL, false, NULL, '', '', '', '', '' "
    "FROM (SELECT i, timestamptz '2026-01-01 00:00+08' + (i::float / {letters}) * interval '300 days' AS received "
    "FROM generate_series(1, {letters}) i) s"
)


async def load(opinions: int, letters: int) -> None:
    """Runs in a child process whose environment names the bench database."""
    from piccolo.engine import engine_finder

    engine = engine_finder()
    values = {"departments": DEPARTMENTS, "consultations": CONSULTATIONS, "opinions": opinions, "letters": letters}
    for sql in [*SETUP, OPINIONS, *EVENTS, LETTERS]:
        await engine.run_ddl(sql.format(**values))
    await engine.run_ddl("ANALYZE")


async def recompute(repeat: int) -> dict[str, list[float]]:
    """Seconds for the scheduled job (every unfiltered table, stored) and for a site-wide report of the year."""
    from datetime import date

    from analytics import facts, letter_facts, snapshots
    from analytics.filters import resolve
    from analytics.reports import _frozen_figures
    from engagement import workdays

    timings: dict[str, list[float]] = {"opinion facts and counts, full rebuild": [],
                                       "letter counts, full rebuild": [],
                                       "refresh job (facts caught up, all unfiltered tables)": [],
                                       "a year's report (9 tables)": []}
    rebuild = lambda: facts.catch_up(rebuild=True, create=True)

    async def letters() -> None:
        await letter_facts.catch_up(await workdays.load_calendar(), rebuild=True, create=True)

    for _index in range(repeat):
        for label, work in zip(timings, (rebuild, letters, snapshots.refresh,
                                         lambda: _year(resolve, _frozen_figures, date))):
            started = time.perf_counter()
            await work()
            timings[label].append(time.perf_counter() - started)
    return timings


async def _year(resolve, frozen_figures, date) -> None:
    await frozen_figures(await resolve(date(2026, 1, 1), date(2026, 12, 31)))


def timed_get(url: str, samples: int) -> tuple[float, float]:
    timings = []
    for _index in range(samples):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
            assert response.status == 200, (url, response.status)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(0.99 * len(timings)))]


def run_child(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="a PostgreSQL database to empty and fill")
    parser.add_argument("--opinions", type=int, default=1_000_000)
    parser.add_argument("--letters", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--skip-load", action="store_true", help="reuse the data of an earlier run")
    parser.add_argument("--only-load", action="store_true", help="empty, migrate and fill the database, then stop")
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--recompute-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only:
        asyncio.run(load(args.opinions, args.letters))
        return
    if args.recompute_only:
        for label, timings in asyncio.run(recompute(args.repeat)).items():
            print(f"full recompute, {label}: {', '.join(f'{t:.2f}' for t in timings)} s (min {min(timings):.2f} s)")
        return

    if not args.database_url.startswith("postgres"):
        raise SystemExit("--database-url must name a PostgreSQL database")
    tmpdir = Path(tempfile.mkdtemp(prefix="analytics-bench-"))
    env = app_environment(tmpdir, workers=1)
    env["ENGAGEMENT_DATABASE_URL"] = args.database_url
    env.pop("ENGAGEMENT_REDIS_URL", None)
    # the sequential samples come from one address: the per-address limit (600 a minute) is not measured here
    env.setdefault("ENGAGEMENT_RATE_LIMIT", "1000000")
    if not args.skip_load:
        reset_and_migrate(env)
        started = time.monotonic()
        run_child(env, "--load-only", "--opinions", str(args.opinions), "--letters", str(args.letters))
        print(f"# loaded {args.opinions:,} opinions and {args.letters:,} letters in "
              f"{time.monotonic() - started:.0f} s into {args.database_url.split('@')[-1]}")
    if args.only_load:
        return
    run_child(env, "--recompute-only", "--repeat", str(args.repeat))
    serve_and_measure(env, tmpdir, args)


def reset_and_migrate(env: dict) -> None:
    import asyncpg

    async def reset() -> None:
        connection = await asyncpg.connect(env["ENGAGEMENT_DATABASE_URL"])
        try:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await connection.close()

    asyncio.run(reset())
    done = subprocess.run([sys.executable, "-m", "engagement", "migrate"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"migrate failed:\n{done.stdout}\n{done.stderr}")


def serve_and_measure(env: dict, tmpdir: Path, args) -> None:
    bare = start_bare(DEFAULT_SERVER, 1, tmpdir)
    app = start_app(DEFAULT_SERVER, 1, env, tmpdir)
    try:
        bare.wait_ready()
        app.wait_ready()
        print(f"# sequential requests, {args.samples} each (p99 = the slowest of fewer than 100)")
        for path in ENDPOINTS:
            p50, p99 = timed_get(app.url(path), args.samples)
            print(f"{path:90} p50 {p50:8.1f} ms  p99 {p99:8.1f} ms")
        print(f"# under load: {args.duration:.0f} s, {args.concurrency} connections, one worker each")
        base = measure(bare, "/bare", args.duration, args.concurrency)
        print(f"{'bare /bare':44} {base['rps']:8.1f} req/s  p50 {base['p50']:8.2f} ms  p99 {base['p99']:8.2f} ms")
        for path in ("/statistics", "/api/v1/statistics/adoption?by=department"):
            row = measure(app, path, args.duration, args.concurrency)
            print(f"{path:44} {row['rps']:8.1f} req/s  p50 {row['p50']:8.2f} ms  p99 {row['p99']:8.2f} ms  "
                  f"errors {row['errors']}  x{row['rps'] / base['rps']:.4f} rps  others {row['others_cpu']:.0%}")
    finally:
        app.stop()
        bare.stop()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
