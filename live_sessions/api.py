"""JSON API of live sessions (DESIGN section 4): parse, call the service, return a read schema."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, get, patch, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from engagement.accounts import Staff
from engagement.permissions import guard
from engagement.verification import VerifiedCitizen
from engagement.web import current_staff
from live_sessions import schemas, services, services_questions, services_transcripts
from live_sessions.tables import QuestionState

# Route guards (the role check); the services ask the same permissions again.
CREATE = [guard("session.create")]
RUN = [guard("session.run")]
MODERATE = [guard("question.moderate")]
READ_QUEUE = [guard("question.read_queue")]
EDIT_TRANSCRIPT = [guard("transcript.edit")]
MODERATE_COMMENTS = [guard("comment.moderate")]
Limit = Annotated[int, Parameter(ge=1, le=100)]
Offset = Annotated[int, Parameter(ge=0, le=100_000)]


class LiveSessionController(Controller):
    path = "/api/v1/live-sessions"
    tags = ("live sessions",)

    @post("/", status_code=HTTP_201_CREATED, guards=CREATE, summary="Announce a live session (hosts, admins)")
    async def create(self, staff: NamedDependency[Staff], data: JSONBody[schemas.SessionCreate]) -> schemas.SessionRead:
        row = await services.create_session(
            staff, kind=data.kind, title=data.title, description=data.description,
            guests=[{"name": g.name, "title": g.title, "photo": g.photo} for g in data.guests],
            scheduled_at=data.scheduled_at, capacity=data.capacity, place=data.place, agenda=data.agenda,
            allocation=data.allocation, registration_opens_at=data.registration_opens_at,
            registration_closes_at=data.registration_closes_at, offer_hours=data.offer_hours,
            quotas=[{"category": q.category, "label": q.label, "seats": q.seats} for q in data.quotas],
            issues_close_at=data.issues_close_at,
        )
        return schemas.session_read(row)

    @get("/", summary="Live sessions, newest first")
    async def list(self, limit: Limit = 20, offset: Offset = 0) -> schemas.SessionList:
        rows, total = await services.list_sessions(limit, offset)
        return schemas.SessionList(items=[schemas.session_read(row) for row in rows], total=total)

    @get("/{session_id:int}", summary="One live session")
    async def detail(self, session_id: FromPath[int]) -> schemas.SessionRead:
        return schemas.session_read(await services.get_session(session_id))

    @post("/{session_id:int}/start", status_code=HTTP_200_OK, guards=RUN, summary="Go live")
    async def start(self, session_id: FromPath[int], staff: NamedDependency[Staff],
                    channels: NamedDependency[ChannelsPlugin]) -> schemas.SessionRead:
        return schemas.session_read(await services.start_session(staff, session_id, channels))

    @post("/{session_id:int}/end", status_code=HTTP_200_OK, guards=RUN, summary="End; drafts the transcript")
    async def end(self, session_id: FromPath[int], staff: NamedDependency[Staff],
                  channels: NamedDependency[ChannelsPlugin]) -> schemas.SessionRead:
        return schemas.session_read(await services.end_session(staff, session_id, channels))

    @post("/{session_id:int}/questions", status_code=HTTP_201_CREATED,
          summary="Ask a question (citizen token, or phone + code); it waits for moderation")
    async def ask(self, session_id: FromPath[int], citizen: NamedDependency[VerifiedCitizen],
                  data: JSONBody[schemas.QuestionCreate], channels: NamedDependency[ChannelsPlugin]) -> schemas.QuestionCreated:
        row = await services_questions.ask_question(citizen, session_id, data.content, data.name, channels)
        return schemas.QuestionCreated(id=row["id"], status=row["state"], session_id=session_id)

    @get("/{session_id:int}/questions", summary="Approved questions with vote counts and answers")
    async def questions(self, session_id: FromPath[int], order: FromQuery[Literal["votes", "time"]] = "votes", limit: Limit = 50,
                        offset: Offset = 0) -> schemas.QuestionList:
        rows, total = await services_questions.public_questions(session_id, order, limit, offset)
        return schemas.QuestionList(items=[schemas.question_public(row) for row in rows], total=total)

    @get("/{session_id:int}/moderation-queue", guards=READ_QUEUE, summary="Questions by moderation state (staff)")
    async def queue(self, session_id: FromPath[int], staff: NamedDependency[Staff],
                    status: FromQuery[QuestionState] = QuestionState.pending, limit: Limit = 100,
                    offset: Offset = 0) -> schemas.QueueRead:
        rows, total, staff_seq = await services_questions.moderation_queue(staff, session_id, status, limit, offset)
        return schemas.QueueRead(items=[schemas.question_staff(row) for row in rows], total=total, staff_seq=staff_seq)

    @post("/{session_id:int}/remarks", status_code=HTTP_201_CREATED, guards=RUN, summary="Post a host remark")
    async def remark(self, session_id: FromPath[int], staff: NamedDependency[Staff], data: JSONBody[schemas.RemarkRequest],
                     channels: NamedDependency[ChannelsPlugin]) -> schemas.AnswerRead:
        row = await services_questions.post_remark(staff, session_id, data.content, data.speaker, channels)
        return schemas.answer_read(row)

    @get("/{session_id:int}/events", summary="Recorded public events after a sequence number (catch-up)")
    async def events(self, session_id: FromPath[int], after: Annotated[int, Parameter(ge=0)] = 0) -> schemas.EventList:
        session = await services.get_session(session_id)
        items = await services.events_after(session_id, services.PUBLIC, after)
        return schemas.EventList(items=items, last_seq=session["public_seq"])

    @get("/{session_id:int}/transcript", summary="The transcript: public once published; hosts may read the draft")
    async def transcript(self, session_id: FromPath[int], request: Request) -> schemas.TranscriptRead:
        session, entries = await services_transcripts.read_transcript(session_id, await current_staff(request))
        return schemas.transcript_read(session, entries)

    @post("/{session_id:int}/transcript/assemble", status_code=HTTP_200_OK, guards=EDIT_TRANSCRIPT,
          summary="Rebuild the draft transcript from questions, answers and remarks")
    async def assemble(self, session_id: FromPath[int], staff: NamedDependency[Staff]) -> schemas.TranscriptRead:
        await services_transcripts.assemble_transcript(staff, session_id)
        session, entries = await services_transcripts.read_transcript(session_id, staff)
        return schemas.transcript_read(session, entries)

    @post("/{session_id:int}/transcript/publish", status_code=HTTP_200_OK, guards=EDIT_TRANSCRIPT,
          summary="Publish the transcript")
    async def publish(self, session_id: FromPath[int], staff: NamedDependency[Staff]) -> schemas.TranscriptRead:
        await services_transcripts.publish_transcript(staff, session_id)
        session, entries = await services_transcripts.read_transcript(session_id, staff)
        return schemas.transcript_read(session, entries)

    @post("/{session_id:int}/transcript/comments", status_code=HTTP_201_CREATED,
          summary="Comment on a published transcript (verified citizens; moderated)")
    async def comment(self, session_id: FromPath[int], citizen: NamedDependency[VerifiedCitizen],
                      data: JSONBody[schemas.CommentCreate]) -> schemas.CommentStaff:
        row = await services_transcripts.comment_on_transcript(citizen, session_id, data.content, data.name)
        return schemas.CommentStaff(id=row["id"], session_id=session_id, content=row["content"],
                                    name=row["display_name"], status=row["state"], created_at=services._iso(row["created_at"]))

    @get("/{session_id:int}/transcript/comments", summary="Approved comments on the transcript")
    async def comments(self, session_id: FromPath[int], limit: Limit = 50, offset: Offset = 0) -> schemas.CommentList:
        await services.get_session(session_id)
        rows, total = await services_transcripts.public_comments(session_id, limit, offset)
        return schemas.CommentList(items=[schemas.comment_public(row) for row in rows], total=total)


class QuestionController(Controller):
    path = "/api/v1/questions"
    tags = ("live sessions",)

    @post("/{question_id:int}/moderate", status_code=HTTP_200_OK, guards=MODERATE, summary="Approve or reject")
    async def moderate(self, question_id: FromPath[int], staff: NamedDependency[Staff], data: JSONBody[schemas.ModerateRequest],
                       channels: NamedDependency[ChannelsPlugin]) -> schemas.QuestionStaff:
        row = await services_questions.moderate_question(staff, question_id, data.action, channels)
        return schemas.question_staff(row)

    @post("/{question_id:int}/edit", status_code=HTTP_200_OK, guards=MODERATE,
          summary="Fix typos (the original is kept)")
    async def edit(self, question_id: FromPath[int], staff: NamedDependency[Staff], data: JSONBody[schemas.EditRequest],
                   channels: NamedDependency[ChannelsPlugin]) -> schemas.QuestionStaff:
        return schemas.question_staff(await services_questions.edit_question(staff, question_id, data.content, channels))

    @post("/{question_id:int}/answer", status_code=HTTP_201_CREATED, guards=MODERATE,
          summary="Post an answer attributed to a guest (or the host)")
    async def answer(self, question_id: FromPath[int], staff: NamedDependency[Staff], data: JSONBody[schemas.AnswerRequest],
                     channels: NamedDependency[ChannelsPlugin]) -> schemas.QuestionStaff:
        row = await services_questions.answer_question(staff, question_id, data.answer, data.speaker, channels)
        return schemas.question_staff(row)

    @post("/{question_id:int}/answered", status_code=HTTP_200_OK, guards=MODERATE, summary="Mark as answered")
    async def answered(self, question_id: FromPath[int], staff: NamedDependency[Staff],
                       channels: NamedDependency[ChannelsPlugin]) -> schemas.QuestionStaff:
        return schemas.question_staff(await services_questions.mark_answered(staff, question_id, channels))

    @post("/{question_id:int}/vote", status_code=HTTP_200_OK, summary="Vote for a question (one per phone)")
    async def vote(self, question_id: FromPath[int], citizen: NamedDependency[VerifiedCitizen],
                   channels: NamedDependency[ChannelsPlugin]) -> schemas.VoteResult:
        counted, count = await services_questions.vote_for_question(citizen, question_id, channels)
        return schemas.VoteResult(vote_count=count, counted=counted)


@patch("/api/v1/transcript-entries/{entry_id:int}", guards=EDIT_TRANSCRIPT, tags=["live sessions"],
       summary="Edit a draft transcript entry")
async def edit_transcript_entry(entry_id: FromPath[int], staff: NamedDependency[Staff],
                                data: JSONBody[schemas.EntryEdit]) -> schemas.TranscriptEntryRead:
    return schemas.entry_read(await services_transcripts.edit_transcript_entry(staff, entry_id, data.content,
                                                                               data.speaker))


@post("/api/v1/transcript-comments/{comment_id:int}/moderate", status_code=HTTP_200_OK, guards=MODERATE_COMMENTS,
      tags=["live sessions"], summary="Approve or reject a transcript comment")
async def moderate_transcript_comment(comment_id: FromPath[int], staff: NamedDependency[Staff],
                                      data: JSONBody[schemas.ModerateRequest]) -> schemas.CommentStaff:
    return schemas.comment_staff(await services_transcripts.moderate_comment(staff, comment_id, data.action))


@get("/api/v1/transcripts", tags=["live sessions"], summary="Search published transcripts (Chinese keywords)")
async def search_transcripts(q: Annotated[str, Parameter(max_length=200)] = "") -> schemas.SearchResults:
    hits = await services_transcripts.search_transcripts(q)
    items = [
        schemas.SearchHit(session_id=hit["session"]["id"], title=hit["session"]["title"],
                          scheduled_at=services._iso(hit["session"]["scheduled_at"]) or "",
                          matches=[schemas.search_match(m) for m in hit["matches"]])
        for hit in hits
    ]
    return schemas.SearchResults(items=items, total=len(items))
