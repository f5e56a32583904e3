"""The state columns declare their enums (Piccolo choices, shown as choices in piccolo-admin); no change to the data."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T03:46:09:350442"
VERSION = "1.38.0"
DESCRIPTION = "State columns of live sessions declare their enums (choices)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="live_sessions", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="LiveQuestion",
        tablename="live_question",
        column_name="state",
        db_column_name="state",
        params={
            "choices": Enum(
                "QuestionState",
                {
                    "pending": "pending",
                    "approved": "approved",
                    "rejected": "rejected",
                },
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LiveSession",
        tablename="live_session",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "SessionStatus",
                {"announced": "announced", "live": "live", "ended": "ended"},
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="LiveSession",
        tablename="live_session",
        column_name="transcript_state",
        db_column_name="transcript_state",
        params={
            "choices": Enum(
                "TranscriptState", {"draft": "draft", "published": "published"}
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="TranscriptComment",
        tablename="live_transcript_comment",
        column_name="state",
        db_column_name="state",
        params={
            "choices": Enum(
                "CommentState",
                {
                    "pending": "pending",
                    "approved": "approved",
                    "rejected": "rejected",
                },
            )
        },
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
