"""The state machines of live sessions, as data (engagement.workflow applies them).

    session:     announced --start--> live --end--> ended            (ending drafts the transcript)
    transcript:  draft --assemble / edit--> draft --publish--> published
    question:    pending --approve--> approved --reject ("withdraw")--> rejected --approve--> approved
                 pending --reject---> rejected
                 approved --answer / mark_answered--> approved         (sets the ``answered`` flag)
    comment:     pending --approve / reject--> approved / rejected (and back, as questions)
    issue:       pending --approve--> approved --select--> selected --unselect--> approved
                 pending / approved --reject--> rejected --approve--> approved
                 pending / approved --merge--> merged                  (``merged_into`` names the target)
                 selected --reorder / on_air / answer--> selected
    registration (open meetings; services_registrations.py):
                 (new) --register / join_waitlist / enter--> confirmed / waitlisted / entered
                 entered --draw_confirm / draw_waitlist--> confirmed / waitlisted     (the lottery)
                 waitlisted --offer--> offered --accept--> confirmed
                 offered --decline / expire--> declined
                 entered / confirmed / waitlisted / offered --cancel--> cancelled
                 confirmed --check_in--> checked_in
    rectification (TV questioning; services_rectifications.py; "overdue" is computed, never stored):
                 (new) --record--> in_progress --progress--> in_progress --complete--> completed
                 completed --reopen (most of >= 3 citizens answer "not solved")--> in_progress

The transcript's state is a column of ``live_session`` (``transcript_state``), so its history is
kept per session under the aggregate ``live_transcript``. Creations ("announce", "submit") are
recorded with ``Workflow.record``.
"""

from __future__ import annotations

from engagement.i18n import N_
from engagement.workflow import Transition, Workflow
from live_sessions.tables import (
    CommentState,
    IssueState,
    LiveIssue,
    LiveQuestion,
    LiveSession,
    QuestionState,
    Rectification,
    RectificationState,
    Registration,
    RegistrationState,
    SessionStatus,
    TranscriptComment,
    TranscriptState,
)

MODERATION_ACTIONS = ("approve", "reject")  # the transitions a moderation request may name

# English message ids, translated where shown: {{ _(LIVE_STATUS_LABELS[session.status]) }}
SESSION_STATUS_LABELS = {
    SessionStatus.announced: N_("Announced"),
    SessionStatus.live: N_("Live now"),
    SessionStatus.ended: N_("Ended"),
}

SESSION = Workflow(
    aggregate="live_session",
    table=LiveSession,
    states=SessionStatus,
    column="status",
    not_found=N_("The live session was not found."),
    transitions=[
        Transition("announce", sources=(), target=SessionStatus.announced, permission="session.create",
                   label=N_("Announced")),
        Transition("start", sources={SessionStatus.announced}, target=SessionStatus.live, permission="session.run",
                   label=N_("Went live"), refusal=N_("The session has already started.")),
        Transition("end", sources={SessionStatus.live}, target=SessionStatus.ended, permission="session.run",
                   label=N_("Ended"), refusal=N_("The session is not live.")),
        # Open meetings: the decisions taken, published (and corrected) once the meeting has begun.
        Transition("publish_decisions", sources={SessionStatus.live, SessionStatus.ended}, target=None,
                   permission="meeting.publish_outcome", label=N_("Decisions published"),
                   refusal=N_("The decisions are published once the meeting has begun.")),
    ],
)

TRANSCRIPT_FINAL = N_("The transcript is already published.")

TRANSCRIPT = Workflow(
    aggregate="live_transcript",
    table=LiveSession,
    states=TranscriptState,
    column="transcript_state",
    not_found=N_("The live session was not found."),
    transitions=[
        Transition("assemble", sources={TranscriptState.draft}, target=TranscriptState.draft,
                   permission="transcript.edit", label=N_("Draft rebuilt"), refusal=TRANSCRIPT_FINAL),
        Transition("edit", sources={TranscriptState.draft}, target=TranscriptState.draft,
                   permission="transcript.edit", label=N_("Transcript entry edited"), refusal=TRANSCRIPT_FINAL),
        Transition("publish", sources={TranscriptState.draft}, target=TranscriptState.published,
                   permission="transcript.edit", label=N_("Transcript published"), refusal=TRANSCRIPT_FINAL),
    ],
)

ALREADY_MODERATED = N_("This item has already been moderated.")
ONLY_APPROVED = N_("Only approved questions can be answered.")

QUESTION = Workflow(
    aggregate="live_question",
    table=LiveQuestion,
    states=QuestionState,
    column="state",
    not_found=N_("The question was not found."),
    transitions=[
        Transition("submit", sources=(), target=QuestionState.pending, label=N_("Question asked")),
        Transition("approve", sources={QuestionState.pending, QuestionState.rejected}, target=QuestionState.approved,
                   permission="question.moderate", label=N_("Approved"), refusal=ALREADY_MODERATED),
        Transition("reject", sources={QuestionState.pending, QuestionState.approved}, target=QuestionState.rejected,
                   permission="question.moderate", label=N_("Rejected"), refusal=ALREADY_MODERATED),
        Transition("answer", sources={QuestionState.approved}, target=QuestionState.approved,
                   permission="question.moderate", label=N_("Answered"), refusal=ONLY_APPROVED),
        Transition("mark_answered", sources={QuestionState.approved}, target=QuestionState.approved,
                   permission="question.moderate", label=N_("Marked as answered"), refusal=ONLY_APPROVED),
    ],
)

COMMENT = Workflow(
    aggregate="transcript_comment",
    table=TranscriptComment,
    states=CommentState,
    column="state",
    not_found=N_("The comment was not found."),
    transitions=[
        Transition("submit", sources=(), target=CommentState.pending, label=N_("Comment submitted")),
        Transition("approve", sources={CommentState.pending, CommentState.rejected}, target=CommentState.approved,
                   permission="comment.moderate", label=N_("Approved"), refusal=ALREADY_MODERATED),
        Transition("reject", sources={CommentState.pending, CommentState.approved}, target=CommentState.rejected,
                   permission="comment.moderate", label=N_("Rejected"), refusal=ALREADY_MODERATED),
    ],
)

ISSUE_STATUS_LABELS = {
    IssueState.pending: N_("Awaiting review"),
    IssueState.approved: N_("Collecting support"),
    IssueState.rejected: N_("Not accepted"),
    IssueState.merged: N_("Merged"),
    IssueState.selected: N_("Selected"),
}
ISSUE_PUBLISHED = frozenset({IssueState.approved.value, IssueState.selected.value})
ONLY_SELECTED = N_("Only selected issues can be put in the running order or on air.")

ISSUE = Workflow(
    aggregate="live_issue",
    table=LiveIssue,
    states=IssueState,
    column="state",
    not_found=N_("The issue was not found."),
    state_labels=ISSUE_STATUS_LABELS,
    transitions=[
        Transition("propose", sources=(), target=IssueState.pending, label=N_("Issue proposed")),
        Transition("approve", sources={IssueState.pending, IssueState.rejected}, target=IssueState.approved,
                   permission="issue.moderate", label=N_("Approved"), refusal=ALREADY_MODERATED),
        Transition("reject", sources={IssueState.pending, IssueState.approved}, target=IssueState.rejected,
                   permission="issue.moderate", label=N_("Rejected"), refusal=ALREADY_MODERATED),
        Transition("merge", sources={IssueState.pending, IssueState.approved}, target=IssueState.merged,
                   permission="issue.moderate", label=N_("Merged"),
                   refusal=N_("Only pending or approved issues can be merged into another.")),
        Transition("select", sources={IssueState.approved}, target=IssueState.selected,
                   permission="issue.select", label=N_("Selected"),
                   refusal=N_("Only approved issues can be selected.")),
        Transition("unselect", sources={IssueState.selected}, target=IssueState.approved,
                   permission="issue.select", label=N_("Selection withdrawn"), refusal=ONLY_SELECTED),
        Transition("reorder", sources={IssueState.selected}, target=None,
                   permission="issue.select", label=N_("Running order changed"), refusal=ONLY_SELECTED),
        Transition("on_air", sources={IssueState.selected}, target=None,
                   permission="issue.on_air", label=N_("On air"), refusal=ONLY_SELECTED),
        Transition("answer", sources={IssueState.selected}, target=None,
                   permission="issue.on_air", label=N_("On-air answer recorded"), refusal=ONLY_SELECTED),
    ],
)

REGISTRATION_STATUS_LABELS = {
    RegistrationState.entered: N_("Entered in the draw"),
    RegistrationState.confirmed: N_("Seat confirmed"),
    RegistrationState.waitlisted: N_("On the waitlist"),
    RegistrationState.offered: N_("Seat offered"),
    RegistrationState.cancelled: N_("Cancelled"),
    RegistrationState.declined: N_("Offer declined or expired"),
    RegistrationState.checked_in: N_("Checked in"),
}
# The states that hold a seat: their count never exceeds the seats, per quota and in total.
SEAT_HOLDING = frozenset({RegistrationState.confirmed.value, RegistrationState.offered.value,
                          RegistrationState.checked_in.value})
CANCELLABLE = {RegistrationState.entered, RegistrationState.confirmed, RegistrationState.waitlisted,
               RegistrationState.offered}
NO_OFFER = N_("There is no seat offer to answer for this registration.")

REGISTRATION = Workflow(
    aggregate="live_registration",
    table=Registration,
    states=RegistrationState,
    column="state",
    not_found=N_("No registration matches this code."),
    state_labels=REGISTRATION_STATUS_LABELS,
    transitions=[
        Transition("register", sources=(), target=RegistrationState.confirmed, label=N_("Registered, seat confirmed")),
        Transition("join_waitlist", sources=(), target=RegistrationState.waitlisted,
                   label=N_("Registered on the waitlist")),
        Transition("enter", sources=(), target=RegistrationState.entered, label=N_("Entered in the draw")),
        Transition("draw_confirm", sources={RegistrationState.entered}, target=RegistrationState.confirmed,
                   label=N_("Drawn: seat confirmed")),
        Transition("draw_waitlist", sources={RegistrationState.entered}, target=RegistrationState.waitlisted,
                   label=N_("Drawn: on the waitlist")),
        Transition("offer", sources={RegistrationState.waitlisted}, target=RegistrationState.offered,
                   label=N_("Seat offered")),
        Transition("accept", sources={RegistrationState.offered}, target=RegistrationState.confirmed,
                   label=N_("Offer accepted"), refusal=NO_OFFER),
        Transition("decline", sources={RegistrationState.offered}, target=RegistrationState.declined,
                   label=N_("Offer declined"), refusal=NO_OFFER),
        Transition("expire", sources={RegistrationState.offered}, target=RegistrationState.declined,
                   label=N_("Offer expired"), refusal=NO_OFFER),
        Transition("cancel", sources=CANCELLABLE, target=RegistrationState.cancelled, label=N_("Cancelled"),
                   refusal=N_("This registration can no longer be cancelled.")),
        Transition("check_in", sources={RegistrationState.confirmed}, target=RegistrationState.checked_in,
                   permission="registration.check_in", label=N_("Checked in"),
                   refusal=N_("This registration does not hold a confirmed seat.")),
    ],
)

RECTIFICATION_STATUS_LABELS = {
    RectificationState.in_progress: N_("In progress"),
    RectificationState.completed: N_("Completed"),
}
OVERDUE_LABEL = N_("Overdue")

RECTIFICATION = Workflow(
    aggregate="live_rectification",
    table=Rectification,
    states=RectificationState,
    column="state",
    department_column="department",
    not_found=N_("The rectification was not found."),
    state_labels=RECTIFICATION_STATUS_LABELS,
    transitions=[
        Transition("record", sources=(), target=RectificationState.in_progress, permission="rectification.record",
                   label=N_("Commitment recorded")),
        Transition("progress", sources={RectificationState.in_progress}, target=None,
                   permission="rectification.report", label=N_("Progress reported"),
                   refusal=N_("Progress can only be reported while the rectification is in progress.")),
        Transition("complete", sources={RectificationState.in_progress}, target=RectificationState.completed,
                   permission="rectification.report", label=N_("Completed"),
                   refusal=N_("This rectification is already completed.")),
        Transition("reopen", sources={RectificationState.completed}, target=RectificationState.in_progress,
                   label=N_("Reopened: citizens say it is not solved")),
    ],
)
