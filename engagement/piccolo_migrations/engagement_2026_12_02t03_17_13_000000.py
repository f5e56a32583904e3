"""sms_message.event_key unique: SQLite cannot add a UNIQUE column to an existing table, so a unique index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T03:17:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "At most one SMS per event (unique index on sms_message.event_key)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="engagement", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS sms_message_event_key_unique ON sms_message (event_key)")

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS sms_message_event_key_unique")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
