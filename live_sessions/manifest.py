"""What live sessions contribute to the application (mounted by the core from INSTALLED_MODULES)."""

from engagement.i18n import N_
from engagement.modules import Manifest, NavItem
from live_sessions import api, demo, pages, workflows, ws
from live_sessions.permissions import PERMISSIONS
from live_sessions.services_questions import VOTE_KIND
from live_sessions.tables import CommentState, QuestionState, SessionStatus, TranscriptState

MANIFEST = Manifest(
    name="live_sessions",
    route_handlers=[
        api.LiveSessionController,
        api.QuestionController,
        api.edit_transcript_entry,
        api.moderate_transcript_comment,
        api.search_transcripts,
        ws.live_session_socket,
        ws.moderation_socket,
        *pages.ROUTES,
    ],
    nav=[NavItem(path="/live-sessions", label=N_("Live interviews"),
                 description=N_("Ask guests questions before and during live interviews; read the transcripts."))],
    votable_kinds=[VOTE_KIND],
    permissions=PERMISSIONS,
    # Templates compare states with the enums and ask the workflows which buttons to show.
    template_globals={
        "LiveSessionStatus": SessionStatus, "LiveTranscriptState": TranscriptState,
        "LiveQuestionState": QuestionState, "LiveCommentState": CommentState,
        "LIVE_SESSION": workflows.SESSION, "LIVE_TRANSCRIPT": workflows.TRANSCRIPT,
        "LIVE_QUESTION": workflows.QUESTION, "LIVE_COMMENT": workflows.COMMENT,
        "LIVE_STATUS_LABELS": workflows.SESSION_STATUS_LABELS,
    },
    public_pages=pages.PUBLIC_PAGES,
    demo=demo.load_demo,
    sample_paths=demo.sample_paths,
    extra={"staff_nav": [NavItem(path="/staff/live-sessions", label=N_("Live interviews"),
                                 description=N_("Announce sessions, moderate questions, publish transcripts."))]},
)
