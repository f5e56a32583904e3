"""Mailbox search at scale: 100,000 published letters, keyword search against a bare endpoint.

Loads the letters into a fresh database (SQLite by default, or the PostgreSQL database named by
``--database-url``; bulk inserts, since this measures search, not submission), starts the
application with ``python -m engagement serve`` and the bare Litestar app, and prints requests/s,
p50 and p99 for ``GET /api/v1/letters?q=...`` with 2-, 3- and 4-character Chinese keywords,
next to the bare endpoint measured in the same run (bench/http_bench.py does the measuring).

    .venv/bin/python bench/mailbox_search.py                      # 100,000 letters, SQLite, 5 s per row
    .venv/bin/python bench/mailbox_search.py --letters 20000 --duration 3 --concurrency 8
    .venv/bin/python bench/mailbox_search.py --database-url postgresql://postgres@127.0.0.1:5432/bench_mailbox
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
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_bench import WRK, app_environment, measure, start_app, start_bare  # noqa: E402
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
QUERIES = {"2 chars": "电梯", "3 chars": "停车位", "4 chars": "夜间施工", "rare 4 chars": "医保报销", "no match": "地铁延误"}
CATEGORIES = ["consultation", "suggestion", "complaint", "help", "praise"]


def migrate(env: dict) -> None:
    done = subprocess.run([sys.executable, "-m", "engagement", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"migrate failed:\n{done.stdout}\n{done.stderr}")


async def load_letters(count: int) -> None:
    """Runs in a child process whose environment names the bench database."""
    from datetime import UTC, date, datetime, timedelta

    from engagement.tables import Citizen, Department
    from mailbox.search import bigrams
    from mailbox.tables import Letter

    rng = random.Random(100_000)
    await Department.insert(*[Department(slug=f"d{index}", name=f"部门{index}") for index in range(10)])
    departments = [row["id"] for row in await Department.select(Department.id)]
    citizen = Citizen(phone_hash="bench", phone_encrypted="", created_at=0.0, last_verified_at=0.0)
    await citizen.save()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch: list[Letter] = []
    for index in range(count):
        topic, text = TOPICS[rng.randrange(len(TOPICS))]
        place = PLACES[rng.randrange(len(PLACES))]
        subject, body, reply = f"{place}{topic}", f"我住在{place}附近。{text}" * 2, REPLIES[rng.randrange(len(REPLIES))]
        received = start + timedelta(minutes=index * 3)
        batch.append(Letter(
            tracking_number=f"{2000 + index // 1_000_000}-{index % 1_000_000:06d}", query_code_hash="x",
            category=CATEGORIES[index % 5], subject=subject, body=body, writer_name="某某", citizen=citizen.id,
            addressee=departments[0], department=departments[index % len(departments)], public_consent=True,
            status="closed", received_at=received, due_date=date(2026, 1, 8), reply=reply,
            replied_at=received + timedelta(days=2), published=True, published_at=received + timedelta(days=3),
            public_subject=subject, public_body=body, public_reply=reply, search_text=f"{subject}\n{body}\n{reply}",
            search_bigrams=bigrams(f"{subject}\n{body}\n{reply}"),
        ))
        if len(batch) == 1000:
            await Letter.insert(*batch)
            batch = []
    if batch:
        await Letter.insert(*batch)
    if Letter._meta.db.engine_type == "sqlite":
        await Letter.raw("INSERT INTO mailbox_letter_fts(mailbox_letter_fts) VALUES ('optimize')")
    else:
        await Letter.raw("ANALYZE mailbox_letter")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_only:
        asyncio.run(load_letters(args.letters))
        return

    tmpdir = Path(tempfile.mkdtemp(prefix="mailbox-bench-"))
    env = app_environment(tmpdir, workers=1)
    env["ENGAGEMENT_SMS_BACKEND"] = "console"
    if args.database_url:
        env["ENGAGEMENT_DATABASE_URL"] = args.database_url
    migrate(env)
    started = time.monotonic()
    subprocess.run([sys.executable, __file__, "--load-only", "--letters", str(args.letters)], cwd=ROOT, env=env, check=True)
    print(f"# loaded {args.letters:,} published letters in {time.monotonic() - started:.0f} s "
          f"into {env['ENGAGEMENT_DATABASE_URL'].split('@')[-1]}")
    print(f"# {args.duration:.0f} s per row, {args.concurrency} connections, one worker each; "
          "xN = ratio to the bare endpoint of the same run")
    bare = start_bare(DEFAULT_SERVER, 1, tmpdir)
    app = start_app(DEFAULT_SERVER, 1, env, tmpdir)
    try:
        bare.wait_ready()
        app.wait_ready()
        base = measure(bare, "/bare", args.duration, args.concurrency)
        print(f"{'bare /bare':32} {base['rps']:8.0f} req/s  p50 {base['p50']:7.2f} ms  p99 {base['p99']:7.2f} ms")
        for label, query in QUERIES.items():
            path = f"/api/v1/letters?q={quote(query)}"
            if not os.path.exists(WRK):
                # http_bench's own generator fills the request line in with %-formatting: escape the URL's %.
                path = path.replace("%", "%%")
            row = measure(app, path, args.duration, args.concurrency)
            print(f"{label + ' ' + query:28} {row['rps']:8.0f} req/s  p50 {row['p50']:7.2f} ms  p99 {row['p99']:7.2f} ms"
                  f"  errors {row['errors']}  x{row['p50'] / base['p50']:.1f} p50  x{row['p99'] / base['p99']:.1f} p99")
    finally:
        app.stop()
        bare.stop()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
