"""The mailbox moves onto the core's mechanisms: its own history, calendar and reminder tables go.

Data first (the core's tables exist: the engagement app's migrations run before the mailbox's):
- ``mailbox_event`` rows become ``workflow_event`` rows of the aggregate ``letter`` (the action named
  as the workflow's transition, from_state = the status after the letter's previous event, the
  department in ``detail``; the writer's citizen on the receipt and the rating);
- ``mailbox_calendar_day`` rows go to ``calendar_day`` (a day already there is kept);
- ``mailbox_reminder`` rows go to ``deadline_reminder`` under the keys the new job uses, so a
  reminder sent today is not sent again.
Then the three tables are dropped. Backwards recreates them empty; the history stays in workflow_event.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T03:33:17:939632"
VERSION = "1.38.0"
DESCRIPTION = "Letter history, calendar and reminders into the core's workflow_event, calendar_day, deadline_reminder"

# mailbox_event.action -> the transition of mailbox/workflows.py (frozen here: migrations do not import the app)
TRANSITIONS = {
    "received": "submit",
    "assigned": "assign",
    "transferred": "transfer",
    "replied": "reply",
    "rated": "rate",
    "closed": "close",
    "published": "publish",
    "unpublished": "unpublish",
}
CITIZEN_ACTIONS = "('received', 'rated')"


def _json_object(engine_type: str, *pairs: str) -> str:
    function = "json_object" if engine_type == "sqlite" else "json_build_object"
    return f"{function}({', '.join(pairs)})"


def _empty_json(engine_type: str) -> str:
    return "'{}'" if engine_type == "sqlite" else "'{}'::json"


def copy_events_sql(engine_type: str) -> str:
    transition = "CASE e.action " + " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in TRANSITIONS.items()) \
        + " ELSE e.action END"
    previous_status = ("COALESCE((SELECT p.status FROM mailbox_event p WHERE p.letter = e.letter AND p.id < e.id "
                       "ORDER BY p.id DESC LIMIT 1), '')")
    actor_name = (f"CASE WHEN e.actor IS NULL AND e.actor_name = '' THEN "
                  f"(CASE WHEN e.action IN {CITIZEN_ACTIONS} THEN 'citizen' ELSE 'system' END) ELSE e.actor_name END")
    department = _json_object(engine_type, "'department'", "e.department")
    detail = f"CASE WHEN e.department IS NULL THEN {_empty_json(engine_type)} ELSE {department} END"
    return (
        "INSERT INTO workflow_event (aggregate, target_id, transition, from_state, to_state, actor, actor_name, "
        "citizen, note, detail, created_at) "
        f"SELECT 'letter', e.letter, {transition}, {previous_status}, e.status, e.actor, {actor_name}, "
        f"CASE WHEN e.action IN {CITIZEN_ACTIONS} THEN l.citizen END, e.note, {detail}, e.created_at "
        "FROM mailbox_event e JOIN mailbox_letter l ON l.id = e.letter ORDER BY e.id"
    )


COPY_CALENDAR = (
    "INSERT INTO calendar_day (day, is_workday, name) SELECT m.day, m.is_workday, m.name FROM mailbox_calendar_day m "
    "WHERE NOT EXISTS (SELECT 1 FROM calendar_day c WHERE c.day = m.day)"
)


def copy_reminders_sql(engine_type: str) -> str:
    key = "'letter-overdue:' || r.reminder_key"  # the old key was "<department>:<YYYY-MM-DD>"
    detail = _json_object(engine_type, "'reminder'", "'overdue'", "'count'", "r.overdue_count")
    return (
        "INSERT INTO deadline_reminder (reminder_key, department, kind, detail, created_at) "
        f"SELECT {key}, r.department, 'letter', {detail}, r.created_at FROM mailbox_reminder r "
        f"WHERE NOT EXISTS (SELECT 1 FROM deadline_reminder d WHERE d.reminder_key = {key})"
    )


async def copy_into_core_tables() -> None:
    engine = engine_finder()
    for statement in (copy_events_sql(engine.engine_type), COPY_CALENDAR, copy_reminders_sql(engine.engine_type)):
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="mailbox", description=DESCRIPTION)
    manager.add_raw(copy_into_core_tables)  # raw steps run before the drops
    manager.drop_table(class_name="OverdueReminder", tablename="mailbox_reminder", schema=None)
    manager.drop_table(class_name="CalendarDay", tablename="mailbox_calendar_day", schema=None)
    manager.drop_table(class_name="LetterEvent", tablename="mailbox_event", schema=None)
    return manager
