"""Mailbox search at scale: N published letters (100,000 by default), keyword search against a bare endpoint.

Loads the letters into a fresh database (SQLite by default, or the PostgreSQL database named by
``--database-url``; bulk inserts, since this measures search, not submission), starts the
application with ``python -m engagement serve`` and the bare Litestar app, and prints requests/s,
p50 and p99 for ``GET /api/v1/letters?q=...`` with 2-, 3- and 4-character Chinese keywords,
next to the bare endpoint measured in the same run (bench/http_bench.py does the measuring).

    .venv/bin/python bench/mailbox_search.py                      # 100,000 letters, SQLite, 5 s per row
    .venv/bin/python bench/mailbox_search.py --letters 20000 --duration 3 --concurrency 8
    .venv/bin/python bench/mailbox_search.py --database-url postgresql://postgres@127.0.0.1:5432/bench_mailbox
    .venv/bin/python bench/mailbox_search.py --letters 1000000 --database-url postgresql://postgres@127.0.0.1:5432/big
    .venv/bin/python bench/mailbox_search.py --letters 1000000 --reuse --database-url postgresql://...  # measure again

Loading drops the search indexes (SQLite: their triggers), bulk-inserts (PostgreSQL: COPY), then builds
the indexes over the loaded letters and prints the time of each step and the indexes' sizes. Before the
HTTP rows, each search is also called in-process ``--direct`` times in a row (the service's own time:
database and ORM, no HTTP, no queueing behind the other connections).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_bench import app_environment, measure, start_app, start_bare  # noqa: E402
from engagement.serving import DEFAULT_SERVER  # noqa: E402

PLACES = ["幸福路", "人民路", "解放大道", "滨江花园", "东湖小区", "城南新村", "高新区", "老城区", "火车站", "开发区"]
TOPICS = [
    ("公交班次太少", "早高峰公交车拥挤，建议增加班次，缩短发车间隔。"),
    ("夜间施工噪音", "工地每晚施工到凌晨，噪音严重影响居民休息。"),
    ("小区加装电梯", "老旧小区没有电梯，老人上下楼困难，希望加装电梯并给予补贴。"),
    ("停车位不足", "小区停车位严重不足，车辆乱停乱放堵塞消防通道。"),
    ("学校入学政策", "孩子明年上小学，想咨询租房家庭的入学政策和所需材料。"),
    ("河道垃圾", "河道漂浮垃圾较多，夏天有异味，建议定期清理。"),
    ("路灯不亮", "道路路灯损坏多日无人维修，夜间出行不安全。"),
    ("拖欠工资", "在工地务工半年，老板拖欠工资至今未付，请求帮助。"),
    ("医保报销", "异地就医的医保报销流程复杂，希望简化手续。"),
    ("垃圾分类", "小区垃圾分类设施不足，建议增设分类垃圾桶。"),
]
REPLIES = ["您好！来信收悉，我单位已安排专人核查处理。", "您好！已责成相关单位限期整改，感谢您的监督。",
           "您好！您反映的问题已纳入明年工作计划。", "您好！相关政策已在官网公布，欢迎咨询12345热线。"]
QUERIES = {"2 chars": "电梯", "3 chars": "停车位", "4 chars": "夜间施工", "rare 4 chars": "医保报销", "no match": "地铁延误",
           "2 words": "电梯 补贴", "2 words, 1%": "幸福路 停车位", "2 chars, none": "地铁",
           "2 words, never together": "电梯 停车位"}
# Searches with a filter besides (the bench's letters: categories in turn, departments d0-d9 in turn, one letter
# every 3 minutes from 2026-01-01): (terms, filters).
FILTERED = {"2 chars + category": ("电梯", {"category": "complaint"}), "3 chars + department": ("停车位", {"department": "d3"}),
            "2 chars + month": ("电梯", {"month": "2027-06"}), "2 words + category": ("电梯 补贴", {"category": "help"}),
            "category, no terms": ("", {"category": "complaint"})}
SUGGESTION = "幸福路小区电梯坏了"  # a subject being typed: GET /api/v1/letters/suggestions
CATEGORIES = ["consultation", "suggestion", "complaint", "help", "praise"]


def migrate(env: dict, strict: bool = True) -> None:
    """``python -m engagement migrate``; with ``strict`` off (reusing loaded letters) a failure is only reported."""
    done = subprocess.run([sys.executable, "-m", "engagement", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 and strict:
        raise SystemExit(f"migrate failed:\n{done.stdout}\n{done.stderr}")
    if done.returncode != 0:
        print(f"# migrate failed ({done.stderr.strip().splitlines()[-1]}): measuring the schema as it is")


COLUMNS = ("tracking_number", "query_code_hash", "category", "subject", "body", "writer_name", "citizen", "addressee",
           "department", "public_consent", "status", "received_at", "due_date", "reply", "replied_at", "rating_comment",
           "published", "published_at", "public_subject", "public_body", "public_reply", "search_text", "search_bigrams")
BATCH = 5_000


def letter_rows(count: int, citizen: int, departments: list[int]):
    """The letters as tuples in COLUMNS order, in batches; the derived search columns computed once per text."""
    from datetime import UTC, date, datetime, timedelta

    from mailbox.search import bigrams

    rng = random.Random(100_000)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    derived: dict[str, str] = {}
    batch = []
    for index in range(count):
        topic, text = TOPICS[rng.randrange(len(TOPICS))]
        place = PLACES[rng.randrange(len(PLACES))]
        subject, body, reply = f"{place}{topic}", f"我住在{place}附近。{text}" * 2, REPLIES[rng.randrange(len(REPLIES))]
        received = start + timedelta(minutes=index * 3)
        search_text = f"{subject}\n{body}\n{reply}"
        if search_text not in derived:
            derived[search_text] = bigrams(search_text)
        batch.append((
            f"{2000 + index // 1_000_000}-{index % 1_000_000:06d}", "x", CATEGORIES[index % 5], subject, body, "某某",
            citizen, departments[0], departments[index % len(departments)], True, "closed", received, date(2026, 1, 8),
            reply, received + timedelta(days=2), "", True, received + timedelta(days=3), subject, body, reply,
            search_text, derived[search_text],
        ))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


async def _raw(sql: str) -> list[dict]:
    from mailbox.tables import Letter

    return await Letter.raw(sql)


async def search_indexes(engine) -> dict[str, str]:
    """name -> the statement that creates it, for every search index of the letters (made by the migrations)."""
    if engine.engine_type == "sqlite":
        rows = await _raw("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                                "AND tbl_name = 'mailbox_letter'")
        return {row["name"]: row["sql"] for row in rows}
    rows = await _raw("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'mailbox_letter' "
                                            "AND indexname LIKE 'mailbox_letter_search%'")
    return {row["indexname"]: row["indexdef"] for row in rows}


async def insert_rows(engine, count: int, citizen: int, departments: list[int]) -> None:
    if engine.engine_type == "sqlite":
        import sqlite3

        placeholders = ", ".join("?" for _ in COLUMNS)
        with sqlite3.connect(engine.path) as connection:
            for batch in letter_rows(count, citizen, departments):
                # piccolo.engine.sqlite registered its adapters for dates and times with the sqlite3 module
                connection.executemany(f"INSERT INTO mailbox_letter ({', '.join(COLUMNS)}) VALUES ({placeholders})", batch)
        return
    connection = await engine.get_new_connection()
    try:
        for batch in letter_rows(count, citizen, departments):
            await connection.copy_records_to_table("mailbox_letter", records=batch, columns=COLUMNS)
    finally:
        await connection.close()


async def build_indexes(engine, statements: dict[str, str]) -> None:
    """Build the search indexes over the loaded letters, then recreate the triggers that keep them (SQLite)."""
    if engine.engine_type == "sqlite":
        for table in ("mailbox_letter_fts", "mailbox_letter_bigram"):  # every bench letter is published
            await engine.run_ddl(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
        await engine.run_ddl("INSERT INTO mailbox_letter_fts(mailbox_letter_fts) VALUES ('optimize')")
    for statement in statements.values():
        await engine.run_ddl(statement)
    await engine.run_ddl("ANALYZE" if engine.engine_type == "sqlite" else "VACUUM ANALYZE mailbox_letter")


async def index_sizes(engine, names) -> str:
    if engine.engine_type == "sqlite":
        try:
            rows = await _raw(
                "SELECT name, sum(pgsize) AS size FROM dbstat WHERE name LIKE 'mailbox_letter_%' GROUP BY name")
        except Exception:  # noqa: BLE001 - dbstat is an optional SQLite module
            return f"database file {Path(engine.path).stat().st_size / 2**20:,.0f} MiB (no dbstat)"
        sizes = {row["name"]: row["size"] for row in rows}
        fts = sum(size for name, size in sizes.items() if name.startswith(("mailbox_letter_fts", "mailbox_letter_bigram")))
        return (f"FTS5 tables {fts / 2**20:,.0f} MiB, database file {Path(engine.path).stat().st_size / 2**20:,.0f} MiB")
    parts = []
    for name in [*names, "mailbox_letter"]:
        rows = await _raw(f"SELECT pg_total_relation_size('{name}') AS size")
        parts.append(f"{name} {rows[0]['size'] / 2**20:,.0f} MiB")
    return ", ".join(parts)


async def load_letters(count: int) -> None:
    """Runs in a child process whose environment names the bench database. Drops the search indexes
    (or SQLite's triggers), bulk-loads, then builds the indexes over the loaded letters, timing each step."""
    from engagement.tables import Citizen, Department
    from mailbox.tables import Letter

    engine = Letter._meta.db
    await Department.insert(*[Department(slug=f"d{index}", name=f"部门{index}") for index in range(10)])
    departments = [row["id"] for row in await Department.select(Department.id)]
    citizen = Citizen(phone_hash="bench", phone_encrypted="", created_at=0.0, last_verified_at=0.0)
    await citizen.save()
    statements = await search_indexes(engine)
    for name in statements:
        await engine.run_ddl(f"DROP {'TRIGGER' if engine.engine_type == 'sqlite' else 'INDEX'} {name}")
    started = time.monotonic()
    await insert_rows(engine, count, citizen.id, departments)
    loaded = time.monotonic()
    print(f"# inserted {count:,} letters in {loaded - started:.0f} s")
    await build_indexes(engine, statements)
    print(f"# built the search indexes in {time.monotonic() - loaded:.0f} s: {await index_sizes(engine, statements)}")


async def direct_timings(calls: int) -> None:
    """Each search called ``calls`` times in this process, one after another: the service's own time
    (database and ORM, no HTTP, no queueing behind other requests)."""
    from mailbox import services
    from mailbox.tables import Letter

    engine = Letter._meta.db
    await engine.start_connection_pool()  # as the web app does (SQLite: engagement.db's pool of open connections)
    searches = {f"{label} {query}": (services.search_published, query, {}) for label, query in QUERIES.items()}
    searches.update({f"{label} {query}": (services.search_published, query, filters)
                     for label, (query, filters) in FILTERED.items()})
    searches[f"hints {SUGGESTION}"] = (services.suggest_similar, SUGGESTION, {})
    for label, (search, query, filters) in searches.items():
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            found = await search(query, **filters)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        total = found.total if hasattr(found, "total") else len(found)
        print(f"{label:28} direct  p50 {times[len(times) // 2]:7.2f} ms  p99 {times[int(len(times) * 0.99)]:7.2f} ms"
              f"  max {times[-1]:7.2f} ms  total {total:,}")
    await engine.close_connection_pool()


async def published_letters() -> int:
    from mailbox.tables import Letter

    try:
        return await Letter.count().where(Letter.published == True)  # noqa: E712
    except Exception:  # noqa: BLE001 - no schema yet
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the letters already in --database-url when there are at least --letters of them")
    parser.add_argument("--direct", type=int, default=100, metavar="CALLS",
                        help="also time each search called in-process CALLS times in a row (0: skip)")
    parser.add_argument("--direct-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # in order with the children's lines
    if args.load_only:
        asyncio.run(load_letters(args.letters))
        return
    if args.direct_only:
        asyncio.run(direct_timings(args.direct))
        return
    if args.count_only:
        print(asyncio.run(published_letters()))
        return

    tmpdir = Path(tempfile.mkdtemp(prefix="mailbox-bench-"))
    env = app_environment(tmpdir, workers=1)
    env["ENGAGEMENT_SMS_BACKEND"] = "console"
    if args.database_url:
        env["ENGAGEMENT_DATABASE_URL"] = args.database_url
    started = time.monotonic()
    migrate(env, strict=not args.reuse)
    print(f"# migrate: {time.monotonic() - started:.0f} s")
    present = int(subprocess.run([sys.executable, __file__, "--count-only"], cwd=ROOT, env=env, check=True,
                                 capture_output=True, text=True).stdout)
    if args.reuse and present >= args.letters:
        print(f"# reusing the {present:,} published letters in {env['ENGAGEMENT_DATABASE_URL'].split('@')[-1]}")
    elif present:
        raise SystemExit(f"{present:,} letters are already there: pass --reuse, or an empty database")
    else:
        started = time.monotonic()
        subprocess.run([sys.executable, __file__, "--load-only", "--letters", str(args.letters)], cwd=ROOT, env=env,
                       check=True)
        print(f"# loaded {args.letters:,} published letters in {time.monotonic() - started:.0f} s "
              f"into {env['ENGAGEMENT_DATABASE_URL'].split('@')[-1]}")
    if args.direct:
        print(f"# in-process: each search {args.direct} times in a row (database and ORM; no HTTP)", flush=True)
        subprocess.run([sys.executable, __file__, "--direct-only", "--direct", str(args.direct)], cwd=ROOT, env=env,
                       check=True)
    print(f"# {args.duration:.0f} s per row, {args.concurrency} connections, one worker each; "
          "xN = ratio to the bare endpoint of the same run")
    bare = start_bare(DEFAULT_SERVER, 1, tmpdir)
    app = start_app(DEFAULT_SERVER, 1, env, tmpdir)
    try:
        bare.wait_ready()
        app.wait_ready()
        base = measure(bare, "/bare", args.duration, args.concurrency)
        print(f"{'bare /bare':32} {base['rps']:8.0f} req/s  p50 {base['p50']:7.2f} ms  p99 {base['p99']:7.2f} ms")
        paths = {f"{label} {query}": f"/api/v1/letters?q={quote(query)}" for label, query in QUERIES.items()}
        paths.update({f"{label} {query}": f"/api/v1/letters?{urlencode({'q': query, **filters})}"
                      for label, (query, filters) in FILTERED.items()})
        paths[f"hints {SUGGESTION}"] = f"/api/v1/letters/suggestions?subject={quote(SUGGESTION)}"
        for label, path in paths.items():  # (http_bench's own generator escapes the URL's % itself)
            row = measure(app, path, args.duration, args.concurrency)
            print(f"{label:28} {row['rps']:8.0f} req/s  p50 {row['p50']:7.2f} ms  p99 {row['p99']:7.2f} ms"
                  f"  errors {row['errors']}  x{row['p50'] / base['p50']:.1f} p50  x{row['p99'] / base['p99']:.1f} p99")
    finally:
        app.stop()
        bare.stop()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
