"""Deadline extensions move into the workflow history; the answer SMS is deduplicated by the core.

The rows of ``consultation_extension`` become ``workflow_event`` rows (aggregate "consultation",
transition "extend", the reason as note, the two deadlines in detail) before the table is dropped.
``consultation_opinion.notified_at`` goes: ``engagement.notifications`` keys the SMS by event.
The raw step runs before the drops (Piccolo's MigrationManager runs raw steps first).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T03:33:28:281370"
VERSION = "1.38.0"
DESCRIPTION = "Deadline extensions in workflow_event; consultation_extension and opinion.notified_at dropped"

_COPY = (
    "INSERT INTO workflow_event (aggregate, target_id, transition, from_state, to_state, actor, actor_name, "
    "citizen, note, detail, created_at) "
    "SELECT 'consultation', e.consultation, 'extend', 'open', 'open', e.staff, COALESCE(s.username, 'system'), "
    "NULL, e.reason, {detail}, e.created_at "
    "FROM consultation_extension e LEFT JOIN staff_user s ON s.id = e.staff ORDER BY e.id"
)
DETAIL = {
    "sqlite": "json_object('previous_closes_at', e.previous_closes_at, 'new_closes_at', e.new_closes_at)",
    "postgres": "json_build_object('previous_closes_at', e.previous_closes_at, 'new_closes_at', e.new_closes_at)",
}


async def copy_extensions_into_history():
    engine = engine_finder()
    await engine.run_ddl(_COPY.format(detail=DETAIL["sqlite" if engine.engine_type == "sqlite" else "postgres"]))


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="consultations", description=DESCRIPTION
    )

    manager.add_raw(copy_extensions_into_history)

    manager.drop_table(
        class_name="DeadlineExtension",
        tablename="consultation_extension",
        schema=None,
    )

    manager.drop_column(
        table_class_name="Opinion",
        tablename="consultation_opinion",
        column_name="notified_at",
        db_column_name="notified_at",
        schema=None,
    )

    return manager
