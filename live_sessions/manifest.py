"""What live sessions contribute to the application (mounted by the core from INSTALLED_MODULES)."""

from engagement.i18n import N_
from engagement.modules import Manifest, NavItem, ScheduledJob
from live_sessions import (
    api,
    api_issues,
    api_lottery,
    api_meetings,
    api_rectifications,
    api_registrations,
    commands,
    demo,
    pages,
    pages_issues,
    pages_rectifications,
    pages_registrations,
    services_rectifications,
    workflows,
    ws,
)
from live_sessions.permissions import PERMISSIONS
from live_sessions.services_issues import VOTE_KIND as ISSUE_VOTE_KIND
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
        *api_registrations.ROUTE_HANDLERS,
        *api_issues.ROUTES,
        ws.live_session_socket,
        ws.moderation_socket,
        *pages.ROUTES,
        *pages_issues.ROUTES,
        *api_rectifications.ROUTE_HANDLERS,
        *pages_rectifications.ROUTES,
        *api_lottery.ROUTE_HANDLERS,
        *api_meetings.ROUTE_HANDLERS,
        *pages_registrations.ROUTES,
    ],
    nav=[NavItem(path="/live-sessions", label=N_("Live interviews"),
                 description=N_("Ask guests questions before and during live interviews; read the transcripts."))],
    votable_kinds=[VOTE_KIND, ISSUE_VOTE_KIND],
    scheduled_jobs=[ScheduledJob(job_name="live_sessions.expire_offers", every_seconds=120),
                    ScheduledJob(job_name="live_sessions.remind_registrants", every_seconds=3600),
                    ScheduledJob(job_name="live_sessions.draw_due", every_seconds=60),
                    ScheduledJob(job_name="live_sessions.remind_rectifications", every_seconds=3600)],
    tasks_module="live_sessions.tasks",
    commands=commands.COMMANDS,
    permissions=PERMISSIONS,
    # Templates compare states with the enums and ask the workflows which buttons to show.
    template_globals={
        "LiveSessionStatus": SessionStatus, "LiveTranscriptState": TranscriptState,
        "LiveQuestionState": QuestionState, "LiveCommentState": CommentState,
        "LIVE_SESSION": workflows.SESSION, "LIVE_TRANSCRIPT": workflows.TRANSCRIPT,
        "LIVE_QUESTION": workflows.QUESTION, "LIVE_COMMENT": workflows.COMMENT,
        "LIVE_STATUS_LABELS": workflows.SESSION_STATUS_LABELS,
        "LIVE_ISSUE": workflows.ISSUE, "ISSUE_STATUS_LABELS": workflows.ISSUE_STATUS_LABELS,
        "RECTIFICATION_STATUS_LABELS": workflows.RECTIFICATION_STATUS_LABELS,
        "RECTIFICATION_OVERDUE_LABEL": workflows.OVERDUE_LABEL,
        "RECTIFICATION_UPDATE_LABELS": services_rectifications.UPDATE_LABELS,
        "RECTIFICATION_NOTICE_LABELS": services_rectifications.NOTICE_LABELS,
    },
    public_pages=[*pages.PUBLIC_PAGES, *pages_issues.PUBLIC_PAGES, *pages_rectifications.PUBLIC_PAGES, *pages_registrations.PUBLIC_PAGES],
    demo=demo.load_demo,
    sample_paths=demo.sample_paths,
    extra={"staff_nav": [NavItem(path="/staff/live-sessions", label=N_("Live interviews"),
                                 description=N_("Announce sessions, moderate questions, publish transcripts.")),
                         NavItem(path="/staff/issues", label=N_("Issues: triage"),
                                 description=N_("Review, merge and select the issues citizens propose for TV questioning "
                                                "and open meetings; the running order and the on-air console.")),
                         NavItem(path="/staff/rectifications", label=N_("Rectifications"),
                                 description=N_("Report progress on the commitments made on TV questioning programmes."))]},
)
