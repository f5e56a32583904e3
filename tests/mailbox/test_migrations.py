"""Upgrading a database that holds letters: the mailbox's own history, calendar and reminders move into the core.

A fresh SQLite file is migrated only up to the mailbox's previous migrations, given letters with their
old history rows (``mailbox_event``), an administrator's calendar day and a reminder, then upgraded by
``python -m engagement migrate`` as operators do.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support import service_environment

PREVIOUS = {"engagement": "2026-11-26T08:34:57:054082", "mailbox": "2026-11-26T12:30:00:000000"}

OLD_ROWS = [
    "INSERT INTO department (id, slug, name) VALUES (1, 'szfbgt', '市人民政府办公厅'), (2, 'fgw', '市发展和改革委员会')",
    "INSERT INTO staff_user (id, username, password_hash, role, department) VALUES (7, 'fgw_editor', 'x', 'editor', 2)",
    "INSERT INTO citizen (id, phone_hash, phone_encrypted) VALUES (3, 'hash', 'encrypted')",
    ("INSERT INTO mailbox_letter (id, tracking_number, category, subject, writer_name, citizen, addressee, department, "
     "status, due_date, reply, rating) VALUES (10, '2026-000001', 'help', '路灯不亮', '张小明', 3, 1, 2, 'closed', "
     "'2026-11-30', '已修复。', 5)"),
    ("INSERT INTO mailbox_event (letter, action, status, department, actor, actor_name, note, created_at) VALUES "
     "(10, 'received', 'received', 1, NULL, '', '', '2026-11-23 02:00:00+00:00'), "
     "(10, 'assigned', 'assigned', 2, NULL, 'admin', '请尽快处理', '2026-11-23 03:00:00+00:00'), "
     "(10, 'replied', 'replied', 2, 7, 'fgw_editor', '', '2026-11-24 03:00:00+00:00'), "
     "(10, 'published', 'replied', 2, 7, 'fgw_editor', '', '2026-11-24 04:00:00+00:00'), "
     "(10, 'rated', 'closed', NULL, NULL, '', '', '2026-11-25 03:00:00+00:00')"),
    "INSERT INTO mailbox_calendar_day (day, is_workday, name) VALUES ('2027-02-06', 0, '春节')",
    ("INSERT INTO mailbox_reminder (reminder_key, department, overdue_count, created_at) "
     "VALUES ('2:2026-11-26', 2, 3, '2026-11-26 01:00:00+00:00')"),
]


def run(environment: dict[str, str], *command: str) -> None:
    result = subprocess.run(command, check=False, env=environment, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_upgrade_moves_history_calendar_and_reminders_into_the_core_tables():
    path = Path(tempfile.mkdtemp(prefix="mailbox-upgrade-")) / "old.sqlite3"
    environment = {**service_environment(), "ENGAGEMENT_DATABASE_URL": f"sqlite:///{path}"}
    piccolo = str(Path(sys.executable).parent / "piccolo")
    for app, migration_id in PREVIOUS.items():
        run(environment, piccolo, "migrations", "forwards", app, f"--migration_id={migration_id}")
    with sqlite3.connect(path) as database:
        for statement in OLD_ROWS:
            database.execute(statement)

    run(environment, sys.executable, "-m", "engagement", "migrate")

    with sqlite3.connect(path) as database:
        database.row_factory = sqlite3.Row
        events = database.execute("SELECT * FROM workflow_event WHERE aggregate = 'letter' ORDER BY id").fetchall()
        tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        calendar = database.execute("SELECT day, is_workday, name FROM calendar_day").fetchall()
        reminders = database.execute("SELECT reminder_key, department, kind, detail FROM deadline_reminder").fetchall()
    assert [(row["transition"], row["from_state"], row["to_state"]) for row in events] == [
        ("submit", "", "received"), ("assign", "received", "assigned"), ("reply", "assigned", "replied"),
        ("publish", "replied", "replied"), ("rate", "replied", "closed")]
    assert {row["target_id"] for row in events} == {10}
    assert [json.loads(row["detail"]) for row in events] == [
        {"department": 1}, {"department": 2}, {"department": 2}, {"department": 2}, {}]
    assert [(row["actor"], row["actor_name"], row["citizen"]) for row in events] == [
        (None, "citizen", 3), (None, "admin", None), (7, "fgw_editor", None), (7, "fgw_editor", None),
        (None, "citizen", 3)]
    assert events[1]["note"] == "请尽快处理" and events[0]["created_at"].startswith("2026-11-23 02:00:00")
    assert not {"mailbox_event", "mailbox_calendar_day", "mailbox_reminder"} & tables
    assert [tuple(row) for row in calendar] == [("2027-02-06", 0, "春节")]
    assert [(row["reminder_key"], row["department"], row["kind"], json.loads(row["detail"])) for row in reminders] == [
        ("letter-overdue:2:2026-11-26", 2, "letter", {"reminder": "overdue", "count": 3})]

    run(environment, sys.executable, "-m", "engagement", "migrate")  # nothing left to do, nothing copied twice
    with sqlite3.connect(path) as database:
        assert database.execute("SELECT COUNT(*) FROM workflow_event").fetchone()[0] == 5
