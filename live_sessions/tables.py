"""Tables of live sessions (guest interviews now; TV questioning and open meetings later, by ``kind``)."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from engagement.tables import Citizen, StaffUser


class SessionKind(str, Enum):
    interview = "interview"
    tv_questioning = "tv_questioning"
    open_meeting = "open_meeting"


class SessionStatus(str, Enum):
    announced = "announced"
    live = "live"
    ended = "ended"


class TranscriptState(str, Enum):
    draft = "draft"
    published = "published"


class QuestionState(str, Enum):
    """Pre-moderation: every question waits for a host. Whether it was answered is the ``answered`` flag."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class CommentState(str, Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class LiveSession(Table, tablename="live_session"):
    kind = Varchar(length=20, choices=SessionKind, default="interview", help_text="interview, tv_questioning or open_meeting.")
    title = Varchar(length=200, help_text="The topic, shown on the announcement.")
    description = Text(default="", help_text="What the session is about.")
    guests = JSON(default=[], help_text='[{"name", "title", "photo"?}] in speaking order.')
    scheduled_at = Timestamptz(help_text="When the session is announced to start.")
    capacity = Integer(null=True, default=None, help_text="Seats (open meetings only).")
    status = Varchar(length=12, default=SessionStatus.announced.value, choices=SessionStatus, index=True,
                     help_text="announced -> live -> ended (live_sessions/workflows.py).")
    transcript_state = Varchar(length=12, default=TranscriptState.draft.value, choices=TranscriptState,
                               help_text="draft -> published.")
    public_seq = Integer(default=0, help_text="Sequence number of the last public event.")
    staff_seq = Integer(default=0, help_text="Sequence number of the last moderators' event.")
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    transcript_published_at = Timestamptz(null=True, default=None)

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.title])


class LiveSessionHost(Table, tablename="live_session_host"):
    """The host accounts of a session (the creator first)."""

    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade)


class LiveQuestion(Table, tablename="live_question"):
    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    citizen = ForeignKey(references=Citizen, on_delete=OnDelete.cascade, index=True,
                         help_text="The verified citizen who asked; never shown publicly.")
    content = Text(help_text="The question as shown (at most 500 characters; hosts may fix typos).")
    original_content = Text(default="", help_text="What the citizen wrote, kept when a host edits the question.")
    display_name = Varchar(length=50, default="", help_text="Optional name, published masked.")
    state = Varchar(length=12, default=QuestionState.pending.value, choices=QuestionState, index=True,
                    help_text="pending, approved or rejected.")
    answered = Boolean(default=False)
    asked_at = Timestamptz(default=TimestamptzNow())
    moderated_at = Timestamptz(null=True, default=None)
    moderated_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)


class LiveMessage(Table, tablename="live_message"):
    """An answer (to a question) or a host remark, attributed to a speaker."""

    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    question = ForeignKey(references=LiveQuestion, null=True, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=10, help_text="answer or remark.")
    speaker_name = Varchar(length=100, help_text="A guest's name, or the host's display name.")
    speaker_role = Varchar(length=10, help_text="guest or host.")
    content = Text()
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class LiveEvent(Table, tablename="live_event"):
    """The record of everything sent to viewers: one contiguous sequence per (session, stream)."""

    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    stream = Varchar(length=10, help_text="public (viewers) or staff (moderators).")
    seq = Integer(help_text="1, 2, 3 … per session and stream; the event id clients send back as ?after=.")
    event_key = Varchar(length=80, unique=True, help_text="session:stream:seq; makes the sequence unique.")
    type = Varchar(length=30)
    payload = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())


class TranscriptEntry(Table, tablename="live_transcript_entry"):
    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    position = Integer(help_text="Order in the transcript.")
    kind = Varchar(length=10, help_text="question, answer or remark.")
    speaker = Varchar(length=100, default="")
    content = Text()
    source_kind = Varchar(length=10, default="", help_text="question or message the entry was assembled from.")
    source_id = Integer(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class TranscriptComment(Table, tablename="live_transcript_comment"):
    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    citizen = ForeignKey(references=Citizen, on_delete=OnDelete.cascade)
    content = Text()
    display_name = Varchar(length=50, default="")
    state = Varchar(length=12, default=CommentState.pending.value, choices=CommentState, index=True,
                    help_text="pending, approved or rejected.")
    created_at = Timestamptz(default=TimestamptzNow())
    moderated_at = Timestamptz(null=True, default=None)
