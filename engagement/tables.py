"""Tables of the core: departments, staff, citizens, SMS, votes, words, audit."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Secret,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Role(str, Enum):
    admin = "admin"
    editor = "editor"
    host = "host"


class Department(Table, tablename="department"):
    slug = Varchar(length=64, unique=True, index=True, help_text="Short stable name used in URLs and the API.")
    name = Varchar(length=200, help_text="Full name shown to the public, e.g. 市发展和改革委员会.")
    description = Text(default="", help_text="What the department is responsible for.")
    is_receiving_desk = Boolean(default=False, help_text="The mayor's office: receives and routes letters written "
                                "to the mayor. At most one department; with none, administrators route them.")
    sort_order = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.name])


class StaffUser(Table, tablename="staff_user"):
    username = Varchar(length=100, unique=True, index=True)
    password_hash = Secret(length=255, help_text="argon2id hash; never shown.")
    display_name = Varchar(length=100, default="")
    role = Varchar(length=20, choices=Role, help_text="admin, editor (one department) or host.")
    department = ForeignKey(references=Department, null=True, help_text="Editors act only for this department.")
    phone_encrypted = Secret(length=512, default="", help_text="Encrypted contact number for reminders.")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.username])


class StaffToken(Table, tablename="staff_token"):
    token_hash = Varchar(length=64, unique=True, index=True, help_text="sha256 of the bearer or session token.")
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade)
    kind = Varchar(length=10, default="api", help_text="api (bearer) or session (website cookie).")
    created_at = DoublePrecision(help_text="Unix time.")
    expires_at = DoublePrecision(help_text="Unix time.")


class Citizen(Table, tablename="citizen"):
    phone_hash = Varchar(length=64, unique=True, index=True, help_text="Keyed hash of the E.164 number, for look-up.")
    phone_encrypted = Secret(length=512, help_text="Encrypted number so the responsible staff can call back.")
    created_at = DoublePrecision(help_text="Unix time.")
    last_verified_at = DoublePrecision(help_text="Unix time.")


class SmsCode(Table, tablename="sms_code"):
    phone_hash = Varchar(length=64, index=True)
    code_hash = Varchar(length=64, help_text="Keyed hash of the six digits; the code itself is never stored.")
    created_at = DoublePrecision(help_text="Unix time.")
    expires_at = DoublePrecision(help_text="Unix time.")
    attempts = Integer(default=0, help_text="Checks made against this code.")
    used_at = DoublePrecision(null=True, default=None, help_text="Set when consumed or superseded.")


class SmsCooldown(Table, tablename="sms_cooldown"):
    phone_hash = Varchar(length=64, unique=True)
    next_allowed_at = DoublePrecision(help_text="Unix time before which no new code is sent to this phone.")


class RateCounter(Table, tablename="rate_counter"):
    bucket = Varchar(length=200, unique=True, help_text="Counter key and window start, e.g. sms:phone:<hash>@20261126.")
    count = Integer(default=0)
    expires_at = DoublePrecision(help_text="Unix time after which the row may be purged.")


class SmsMessage(Table, tablename="sms_message"):
    """The outgoing queue: written with the request, sent by a job, sent at most once."""

    phone_encrypted = Secret(length=512)
    body_encrypted = Secret(length=2048, help_text="Emptied once the provider accepted the message.")
    purpose = Varchar(length=40, default="code")
    # Unique through the index sms_message_event_key_unique (SQLite cannot add a UNIQUE column).
    event_key = Varchar(length=120, null=True, default=None,
                        help_text="What the message reports (e.g. letter:12:replied): at most one message per event.")
    status = Varchar(length=12, default="queued", index=True, help_text="queued, sending, sent or failed.")
    backend = Varchar(length=20, default="")
    provider_id = Varchar(length=100, default="")
    attempts = Integer(default=0)
    last_error = Text(default="")
    created_at = DoublePrecision(help_text="Unix time.")
    sent_at = DoublePrecision(null=True, default=None)


class DevSmsOutbox(Table, tablename="dev_sms_outbox"):
    """What the console backend 'sent'; read by GET /dev/sms-outbox in development only."""

    phone = Varchar(length=32)
    body = Text()
    sent_at = Timestamptz(default=TimestamptzNow())


class SupportVote(Table, tablename="support_vote"):
    vote_key = Varchar(length=200, unique=True, help_text="kind:target_id:citizen_id; one vote per citizen per target.")
    target_kind = Varchar(length=40, index=True)
    target_id = Integer(index=True)
    citizen = ForeignKey(references=Citizen, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())


class SensitiveWord(Table, tablename="sensitive_word"):
    word = Varchar(length=100, unique=True, help_text="Text that holds a submission for a moderator.")
    category = Varchar(length=40, default="general")
    created_at = Timestamptz(default=TimestamptzNow())

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.word])


class AuditEntry(Table, tablename="audit_entry"):
    actor = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    actor_name = Varchar(length=100, help_text="Kept when the account is deleted.")
    action = Varchar(length=80, index=True, help_text="e.g. staff.login, consultation.publish.")
    target_kind = Varchar(length=40, default="")
    target_id = Varchar(length=64, default="")
    detail = JSON(default={})
    client_address = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Notice(Table, tablename="notice"):
    """Short announcements on the home page (通知公告)."""

    title = Varchar(length=200)
    body = Text(default="")
    is_published = Boolean(default=True)
    published_at = Timestamptz(default=TimestamptzNow())


class WorkflowEvent(Table, tablename="workflow_event"):
    """The history of every state change (engagement.workflow): who, when, from, to, why."""

    aggregate = Varchar(length=40, index=True, help_text="What changed: consultation, opinion, letter, question…")
    target_id = Integer(index=True)
    transition = Varchar(length=40)
    from_state = Varchar(length=30)
    to_state = Varchar(length=30)
    actor = ForeignKey(references=StaffUser, null=True, on_delete=OnDelete.set_null)
    actor_name = Varchar(length=100, default="", help_text="The staff username, or citizen / system.")
    citizen = ForeignKey(references=Citizen, null=True, on_delete=OnDelete.set_null)
    note = Text(default="", help_text="The reason given with the change.")
    detail = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class CalendarDay(Table, tablename="calendar_day"):
    """Exceptions to the Monday-Friday week: public holidays and make-up working days (调休)."""

    day = Date(unique=True)
    is_workday = Boolean(help_text="True: a make-up working day on a weekend; False: a public holiday.")
    name = Varchar(length=50, default="")


class Reminder(Table, tablename="deadline_reminder"):
    """One row per reminder sent (engagement.workdays.remind_once): a job run twice reminds once."""

    reminder_key = Varchar(length=120, unique=True, help_text="e.g. letter-overdue:<department>:<date>")
    department = ForeignKey(references=Department, null=True, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=40, help_text="What is due: letter, rectification…")
    detail = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())
