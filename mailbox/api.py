"""JSON API of the mailbox (DESIGN section 4): HTTP in, a service call, a read schema out."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from engagement.accounts import Staff
from engagement.forms import parse_form
from engagement.permissions import guard
from engagement.verification import VerifiedCitizen
from engagement.web import client_address
from mailbox import services
from mailbox.schemas import (
    AssignRequest,
    FiguresRead,
    LetterCreate,
    LetterReceipt,
    LookupRequest,
    NoteRead,
    NoteRequest,
    PublicDraftRead,
    PublicLetter,
    PublicLetterList,
    PublishRequest,
    RatingRequest,
    ReplyRequest,
    StaffLetter,
    StaffLetterList,
    StatisticsRead,
    TemplateCreate,
    TemplateList,
    TemplateRead,
    TransferRequest,
    WriterLetter,
    public_letter,
    staff_letter,
    writer_letter,
)


def _figures(figures: services.Figures) -> FiguresRead:
    return FiguresRead(**figures.__dict__)


class PublicLetterController(Controller):
    path = "/api/v1/letters"
    tags = ("mailbox",)

    @post("/", status_code=HTTP_201_CREATED, summary="Write a letter (citizen token, or phone + code in the body)")
    async def submit(self, citizen: NamedDependency[VerifiedCitizen], data: JSONBody[LetterCreate]) -> LetterReceipt:
        submitted = await services.submit_letter(
            citizen, subject=data.subject, body=data.body, name=data.name, category=data.category,
            department=data.department, public_consent=data.public_consent,
        )
        return LetterReceipt(tracking_number=submitted.letter["tracking_number"], query_code=submitted.query_code,
                             status=submitted.letter["status"], due_date=submitted.letter["due_date"].isoformat())

    @get("/", summary="Published letters (masked), searchable by keyword, category, department and month")
    async def search(self, q: FromQuery[str | None] = None, category: FromQuery[str | None] = None, department: FromQuery[str | None] = None,
                     month: FromQuery[str | None] = None, page: FromQuery[int] = 1, page_size: FromQuery[int] = services.PAGE_SIZE) -> PublicLetterList:
        found = await services.search_published(q, category, department, month, page, page_size)
        return PublicLetterList(items=[public_letter(row) for row in found.items], total=found.total,
                                page=found.page, page_size=found.page_size)

    @get("/suggestions", summary="Published letters similar to a subject being typed")
    async def suggestions(self, subject: FromQuery[str] = "") -> PublicLetterList:
        rows = await services.suggest_similar(subject[:200])
        return PublicLetterList(items=[public_letter(row) for row in rows], total=len(rows), page=1,
                                page_size=len(rows))

    @get("/statistics", summary="Letters received and replied, reply and on-time rates, satisfaction")
    async def statistics(self) -> StatisticsRead:
        figures = await services.statistics()
        return StatisticsRead(month=_figures(figures["month"]), year=_figures(figures["year"]))

    @get("/lookup", summary="The writer's letter: status, timeline and reply (a wrong query code is a 404)")
    async def lookup(self, tracking_number: FromQuery[str], query_code: FromQuery[str]) -> WriterLetter:
        query = parse_form(LookupRequest, {"tracking_number": tracking_number, "query_code": query_code})
        letter, events = await services.writer_view(query.tracking_number, query.query_code)
        return writer_letter(letter, events)

    @get("/{tracking_number:str}", summary="One published letter")
    async def published(self, tracking_number: FromPath[str]) -> PublicLetter:
        return public_letter(await services.get_published_letter(tracking_number))

    @post("/{tracking_number:str}/rating", status_code=HTTP_200_OK, summary="Rate the reply, once (1-5)")
    async def rate(self, tracking_number: FromPath[str], data: JSONBody[RatingRequest]) -> WriterLetter:
        await services.rate_letter(tracking_number, data.query_code, data.rating, data.comment)
        letter, events = await services.writer_view(tracking_number, data.query_code)
        return writer_letter(letter, events)


class StaffLetterController(Controller):
    """Staff actions on one letter; the service's loader answers 404 / 403 per letter."""

    path = "/api/v1/letters/{tracking_number:str}"
    tags = ("mailbox (staff)",)

    @post("/assign", status_code=HTTP_200_OK, guards=[guard("letter.assign")],
          summary="Route the letter to a department (the receiving desk)")
    async def assign(self, request: Request, staff: NamedDependency[Staff], tracking_number: FromPath[str],
                     data: JSONBody[AssignRequest]) -> StaffLetter:
        return staff_letter(await services.assign_letter(staff, tracking_number, data.department, data.note,
                                                         client_address(request)))

    @post("/reply", status_code=HTTP_200_OK, guards=[guard("letter.reply")],
          summary="Answer the letter (the responsible department)")
    async def reply(self, request: Request, staff: NamedDependency[Staff], tracking_number: FromPath[str],
                    data: JSONBody[ReplyRequest]) -> StaffLetter:
        return staff_letter(await services.reply_to_letter(staff, tracking_number, data.reply, client_address(request)))

    @post("/transfer", status_code=HTTP_200_OK, guards=[guard("letter.transfer")],
          summary="Return the letter to the receiving desk with a reason")
    async def transfer(self, request: Request, staff: NamedDependency[Staff], tracking_number: FromPath[str],
                       data: JSONBody[TransferRequest]) -> StaffLetter:
        return staff_letter(await services.transfer_letter(staff, tracking_number, data.reason,
                                                           client_address(request)))

    @post("/notes", status_code=HTTP_201_CREATED, guards=[guard("letter.note")],
          summary="Add an internal note")
    async def note(self, request: Request, staff: NamedDependency[Staff], tracking_number: FromPath[str],
                   data: JSONBody[NoteRequest]) -> NoteRead:
        note = await services.add_note(staff, tracking_number, data.body, client_address(request))
        return NoteRead(id=note["id"], body=note["body"], author_name=note["author_name"],
                        created_at=note["created_at"].isoformat())

    @get("/publication", guards=[guard("letter.publish")],
         summary="The masked public version proposed for review")
    async def publication(self, staff: NamedDependency[Staff], tracking_number: FromPath[str]) -> PublicDraftRead:
        _letter, draft = await services.prepare_publication(staff, tracking_number)
        return PublicDraftRead(subject=draft.subject, body=draft.body, reply=draft.reply,
                               findings={part: [f.kind for f in found] for part, found in draft.findings.items()})

    @post("/publish", status_code=HTTP_200_OK, guards=[guard("letter.publish")],
          summary="Publish the (edited) masked version; 409 without consent")
    async def publish(self, request: Request, staff: NamedDependency[Staff], tracking_number: FromPath[str],
                      data: JSONBody[PublishRequest | None] = None) -> StaffLetter:
        data = data or PublishRequest()
        return staff_letter(await services.publish_letter(staff, tracking_number, data.subject, data.body, data.reply,
                                                          client_address(request)))

    @post("/unpublish", status_code=HTTP_200_OK, guards=[guard("letter.publish")],
          summary="Withdraw the letter from publication")
    async def unpublish(self, request: Request, staff: NamedDependency[Staff], tracking_number: FromPath[str]) -> StaffLetter:
        return staff_letter(await services.unpublish_letter(staff, tracking_number, client_address(request)))

    @post("/close", status_code=HTTP_200_OK, guards=[guard("letter.close")],
          summary="Close an answered letter the writer did not rate; 409 otherwise")
    async def close(self, request: Request, staff: NamedDependency[Staff], tracking_number: FromPath[str]) -> StaffLetter:
        return staff_letter(await services.close_letter(staff, tracking_number, client_address(request)))


class StaffInboxController(Controller):
    path = "/api/v1/staff/letters"
    tags = ("mailbox (staff)",)
    guards = (guard("letter.view"),)

    @get("/", summary="The inbox: letters routed to the staff member's department (all for the receiving desk); "
                      "routing=true: the letters waiting to be routed")
    async def inbox(self, staff: NamedDependency[Staff], status: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                    overdue: FromQuery[bool] = False, department: FromQuery[str | None] = None, q: FromQuery[str | None] = None, page: FromQuery[int] = 1,
                    page_size: FromQuery[int] = services.PAGE_SIZE, routing: FromQuery[bool] = False) -> StaffLetterList:
        found = await services.inbox(staff, status, category, overdue, department, q, page, page_size, routing)
        return StaffLetterList(items=[staff_letter(row) for row in found.items], total=found.total, page=found.page,
                               page_size=found.page_size)

    @get("/{tracking_number:str}", summary="One letter with the writer's phone, for the responsible staff")
    async def detail(self, staff: NamedDependency[Staff], tracking_number: FromPath[str]) -> StaffLetter:
        letter = await services.staff_letter_detail(staff, tracking_number)
        return staff_letter(letter, phone=letter["phone"])


class ReplyTemplateController(Controller):
    path = "/api/v1/staff/reply-templates"
    tags = ("mailbox (staff)",)

    @get("/", guards=[guard("reply_template.view")],
         summary="Reply templates of the staff member's department and common ones")
    async def list_templates(self, staff: NamedDependency[Staff]) -> TemplateList:
        rows = await services.reply_templates(staff)
        return TemplateList(items=[TemplateRead(**row) for row in rows], total=len(rows))

    @post("/", status_code=HTTP_201_CREATED, guards=[guard("reply_template.manage")],
          summary="Add a reply template")
    async def create_template(self, staff: NamedDependency[Staff], data: JSONBody[TemplateCreate]) -> TemplateRead:
        return TemplateRead(**await services.create_reply_template(staff, data.title, data.body,
                                                                   data.for_all_departments))


ROUTE_HANDLERS = [PublicLetterController, StaffLetterController, StaffInboxController, ReplyTemplateController]
