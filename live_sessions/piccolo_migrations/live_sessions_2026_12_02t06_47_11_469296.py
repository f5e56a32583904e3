from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T06:47:11:469296"
VERSION = "1.38.0"
DESCRIPTION = "live_session.peak_viewers: the most viewers connected at once."


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="live_sessions", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="LiveSession",
        tablename="live_session",
        column_name="peak_viewers",
        db_column_name="peak_viewers",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
