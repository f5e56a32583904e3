"""Tables of live sessions: guest interviews, TV questioning and open meetings, by ``kind``.

All three share the session, its live event stream and its questions. TV questioning and open
meetings add *issues* (问题: proposed and supported by citizens, triaged, merged, selected for the
programme or the agenda), and TV questioning their *rectification* (整改) afterwards; open meetings
add seat *quotas* and *registrations* (seats, waitlist, offers, lottery, check-in).
"""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from engagement.tables import Citizen, Department, StaffUser


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


class IssueState(str, Enum):
    """Pre-moderated like questions; ``merged`` points at the issue that took its supports."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    merged = "merged"
    selected = "selected"


class RectificationState(str, Enum):
    """``overdue`` is never stored: it is in_progress past the due date, computed when read."""

    in_progress = "in_progress"
    completed = "completed"


class Allocation(str, Enum):
    first_come = "first_come"
    lottery = "lottery"


class RegistrationState(str, Enum):
    entered = "entered"  # lottery, before the draw
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    offered = "offered"  # a freed seat held for this person until offer_expires_at
    cancelled = "cancelled"
    declined = "declined"  # declined an offer, or let it expire
    checked_in = "checked_in"


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
    peak_viewers = Integer(default=0, help_text="The most viewers connected at once, over all web processes.")
    created_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    transcript_published_at = Timestamptz(null=True, default=None)
    # TV questioning and open meetings
    issues_close_at = Timestamptz(null=True, default=None,
                                  help_text="Collection deadline: no new issues or supports after it (none: until the session ends).")
    current_issue_id = Integer(null=True, default=None, help_text="The selected issue on air now (TV questioning).")
    # Open meetings
    place = Varchar(length=200, default="", help_text="Where the meeting is held.")
    agenda = Text(default="", help_text="The decisions on the agenda, as announced.")
    decisions = Text(default="", help_text="The decisions taken, published after the meeting.")
    allocation = Varchar(length=12, default=Allocation.first_come.value, choices=Allocation,
                         help_text="first_come or lottery.")
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    offer_hours = Integer(default=24, help_text="Hours a waitlisted person has to accept a freed seat.")
    draw_seed_commitment = Varchar(length=64, default="",
                                   help_text="SHA-256 of the draw seed, published before registration closes.")
    draw_seed = Varchar(length=128, default="", help_text="The seed, revealed at the draw.")
    entrants_hash = Varchar(length=64, default="", help_text="SHA-256 of the frozen entrant list (docs/live_sessions.md).")
    drawn_at = Timestamptz(null=True, default=None)

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


class LiveIssue(Table, tablename="live_issue"):
    """A problem proposed for a TV questioning programme or an open meeting's agenda."""

    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    citizen = ForeignKey(references=Citizen, on_delete=OnDelete.cascade, index=True,
                         help_text="The verified proposer; never shown publicly.")
    title = Varchar(length=100)
    content = Text()
    location = Varchar(length=200, default="")
    category = Varchar(length=30, default="")
    display_name = Varchar(length=50, default="", help_text="Optional name, published masked.")
    state = Varchar(length=12, default=IssueState.pending.value, choices=IssueState, index=True)
    reason = Text(default="", help_text="Why it was rejected (shown to the proposer) or selected (shown publicly).")
    merged_into = ForeignKey(references="self", null=True, on_delete=OnDelete.set_null,
                             help_text="The issue that took this one's supports.")
    support_count = Integer(default=0, help_text="Distinct citizens supporting it (supports of merged issues included).")
    running_order = Integer(null=True, default=None, help_text="Position in the programme or agenda, 1 first.")
    on_air_answer = Text(default="", help_text="What the responsible official answered on the programme.")
    answered_by = Varchar(length=100, default="", help_text="The official who answered, e.g. 县住建局局长.")
    created_at = Timestamptz(default=TimestamptzNow())
    moderated_at = Timestamptz(null=True, default=None)


class IssuePhoto(Table, tablename="live_issue_photo"):
    """A photo of an issue or of a rectification update; re-encoded on upload, so no EXIF is kept."""

    issue = ForeignKey(references=LiveIssue, on_delete=OnDelete.cascade, index=True)
    update_id = Integer(null=True, default=None, help_text="The rectification update it belongs to, if any.")
    key = Varchar(length=100, help_text="Storage key from engagement.uploads.")
    content_type = Varchar(length=100)
    size = Integer()


class IssueFollower(Table, tablename="live_issue_follower"):
    """A citizen who asked for SMS notices about an issue (its proposer or a supporter)."""

    follow_key = Varchar(length=80, unique=True, help_text="issue_id:citizen_id.")
    issue = ForeignKey(references=LiveIssue, on_delete=OnDelete.cascade, index=True)
    citizen = ForeignKey(references=Citizen, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())


class Rectification(Table, tablename="live_rectification"):
    """What the responsible department committed to on the programme, tracked until it is done."""

    issue = ForeignKey(references=LiveIssue, on_delete=OnDelete.cascade, unique=True)
    department = ForeignKey(references=Department, on_delete=OnDelete.restrict, index=True)
    commitment = Text()
    due_date = Date(help_text="The last day to complete it (Asia/Shanghai).")
    state = Varchar(length=12, default=RectificationState.in_progress.value, choices=RectificationState, index=True)
    confirmation_round = Integer(default=0, help_text="Incremented at each completion; citizens answer per round.")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), help_text="When the last progress update was posted.")
    completed_at = Timestamptz(null=True, default=None)


class RectificationUpdate(Table, tablename="live_rectification_update"):
    rectification = ForeignKey(references=Rectification, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=12, help_text="progress, completion or reopened.")
    content = Text()
    author = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class RectificationAnswer(Table, tablename="live_rectification_answer"):
    """A citizen's answer to "是否已解决？" after a completion: one per citizen per round."""

    answer_key = Varchar(length=80, unique=True, help_text="rectification_id:round:citizen_id.")
    rectification = ForeignKey(references=Rectification, on_delete=OnDelete.cascade, index=True)
    round = Integer()
    citizen = ForeignKey(references=Citizen, on_delete=OnDelete.cascade)
    solved = Boolean()
    created_at = Timestamptz(default=TimestamptzNow())


class SeatQuota(Table, tablename="live_seat_quota"):
    """Seats of an open meeting kept for one category of people (e.g. residents, enterprises, deputies)."""

    quota_key = Varchar(length=80, unique=True, help_text="session_id:category.")
    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    category = Varchar(length=30)
    label = Varchar(length=50)
    seats = Integer()


class Registration(Table, tablename="live_registration"):
    """A seat request for an open meeting. The registration code is the secret; only its keyed hash is kept."""

    registration_key = Varchar(length=80, unique=True, help_text="session_id:citizen_id: one per phone per meeting.")
    code_hash = Varchar(length=64, unique=True, help_text="Keyed hash of the registration code.")
    session = ForeignKey(references=LiveSession, on_delete=OnDelete.cascade, index=True)
    citizen = ForeignKey(references=Citizen, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=50, help_text="As written. Never public unmasked.")
    category = Varchar(length=30, default="", help_text="The quota it counts against ('' without quotas).")
    organization = Varchar(length=100, default="")
    topic = Varchar(length=200, default="", help_text="What the person would like to speak on.")
    state = Varchar(length=12, default=RegistrationState.confirmed.value, choices=RegistrationState, index=True)
    queue_position = Integer(null=True, default=None,
                             help_text="Order on the waitlist (registration order, or draw order for a lottery).")
    draw_rank = Integer(null=True, default=None, help_text="Position in the published draw (lottery).")
    offer_expires_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_by = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
