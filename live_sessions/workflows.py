"""The state machines of live sessions, as data (engagement.workflow applies them).

    session:     announced --start--> live --end--> ended            (ending drafts the transcript)
    transcript:  draft --assemble / edit--> draft --publish--> published
    question:    pending --approve--> approved --reject ("withdraw")--> rejected --approve--> approved
                 pending --reject---> rejected
                 approved --answer / mark_answered--> approved         (sets the ``answered`` flag)
    comment:     pending --approve / reject--> approved / rejected (and back, as questions)

The transcript's state is a column of ``live_session`` (``transcript_state``), so its history is
kept per session under the aggregate ``live_transcript``. Creations ("announce", "submit") are
recorded with ``Workflow.record``.
"""

from __future__ import annotations

from engagement.i18n import N_
from engagement.workflow import Transition, Workflow
from live_sessions.tables import (
    CommentState,
    LiveQuestion,
    LiveSession,
    QuestionState,
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
