"""JSON API of consultations (DESIGN section 4): HTTP in, a service call, a read schema out.

Each staff route's guard names its permission (engagement.permissions.guard: the role); the service
checks it again with the object's department. Domain errors map to HTTP in engagement.web.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody
from litestar.response import File
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from consultations import opinions, services
from consultations.schemas import (
    DEFAULT_PER_PAGE,
    AttachmentRead,
    BulkReviewInput,
    BulkReviewResult,
    CitizenAction,
    ConsultationCreate,
    ConsultationDetail,
    ConsultationList,
    ConsultationStaffList,
    ConsultationUpdate,
    DeadlineExtend,
    ModerateInput,
    OpinionCreate,
    OpinionList,
    OpinionStaff,
    OpinionStaffList,
    OpinionSubmitted,
    OutcomeInput,
    OutcomeRead,
    ReviewInput,
    SectionInput,
    SupportResult,
    TopicCreate,
    TopicList,
    TopicRead,
    page_bounds,
)
from consultations.tables import Decision, Moderation
from engagement.accounts import Staff
from engagement.contract import downloads
from engagement.permissions import guard
from engagement.uploads import CONTENT_TYPES, upload_path
from engagement.verification import VerifiedCitizen
from engagement.web import client_address

StatusFilter = Literal["open", "closed", "concluded"]  # the public states of tables.Status


def section_pairs(items: list[SectionInput] | None) -> list[tuple[str, str]] | None:
    return None if items is None else [(item.heading, item.body) for item in items]


def update_changes(data: ConsultationUpdate) -> dict:
    """The fields given (not None), as ``services.update_consultation`` takes them."""
    changes = {key: getattr(data, key) for key in data.__struct_fields__ if getattr(data, key) is not None}
    if "sections" in changes:
        changes["sections"] = section_pairs(data.sections)
    return changes


@dataclass
class AttachmentUpload:
    file: UploadFile
    purpose: str = "draft"


STAFF_TAGS = ["consultations (staff)"]


class ConsultationController(Controller):
    """Public routes, and staff routes (guarded: editors of the department, admins; checked again per object)."""

    path = "/api/v1"
    tags = ("consultations",)

    @get("/consultations", summary="Published consultations (filters: status, department, topic, q)")
    async def list_consultations(
        self, status: FromQuery[StatusFilter | None] = None, department: FromQuery[str | None] = None, topic: FromQuery[int | None] = None,
        q: FromQuery[str | None] = None, page: FromQuery[int] = 1, per_page: FromQuery[int] = DEFAULT_PER_PAGE,
    ) -> ConsultationList:
        items, total = await services.list_consultations(status, department, topic, q, page, per_page)
        page, per_page = page_bounds(page, per_page)
        return ConsultationList(items=items, total=total, page=page, per_page=per_page)

    @get("/consultations/{consultation_id:int}", summary="A consultation with sections, counts and outcome")
    async def get_consultation(self, consultation_id: FromPath[int]) -> ConsultationDetail:
        return await services.get_consultation(consultation_id)

    @get("/consultations/{consultation_id:int}/opinions", summary="Published opinions (masked authors)")
    async def list_opinions(self, consultation_id: FromPath[int], section: FromQuery[int | None] = None, page: FromQuery[int] = 1,
                            per_page: FromQuery[int] = DEFAULT_PER_PAGE) -> OpinionList:
        items, total = await opinions.list_public_opinions(consultation_id, section, page, per_page)
        page, per_page = page_bounds(page, per_page)
        return OpinionList(items=items, total=total, page=page, per_page=per_page)

    @post("/consultations/{consultation_id:int}/opinions", status_code=HTTP_201_CREATED,
          summary="Submit an opinion (citizen token, or phone + code in the body)")
    async def submit_opinion(self, consultation_id: FromPath[int], data: JSONBody[OpinionCreate],
                             citizen: NamedDependency[VerifiedCitizen]) -> OpinionSubmitted:
        return await opinions.submit_opinion(citizen, consultation_id, data.content, data.name, data.organization,
                                             data.section, data.notify_by_sms)

    @get("/consultations/{consultation_id:int}/outcome", summary="The published outcome report")
    async def outcome(self, consultation_id: FromPath[int]) -> OutcomeRead:
        return await services.get_outcome(consultation_id)

    @get("/consultations/{consultation_id:int}/attachments/{attachment_id:int}", summary="Download an attachment",
         opt=downloads(*CONTENT_TYPES.values()))
    async def attachment(self, consultation_id: FromPath[int], attachment_id: FromPath[int]) -> File:
        row = await services.attachment_file(consultation_id, attachment_id)
        return File(path=upload_path(row["file_key"]), filename=row["original_name"], media_type=row["content_type"],
                    content_disposition_type="attachment")

    @post("/opinions/{opinion_id:int}/support", status_code=HTTP_200_OK, summary="Support an opinion (one per phone)")
    async def support(self, opinion_id: FromPath[int], citizen: NamedDependency[VerifiedCitizen],
                      data: JSONBody[CitizenAction | None] = None) -> SupportResult:
        return await opinions.support_opinion(citizen, opinion_id)

    @get("/topics", summary="Topics (专题)")
    async def topics(self) -> TopicList:
        items = await services.list_topics()
        return TopicList(items=items, total=len(items))

    @get("/topics/{topic_id:int}", summary="A topic with its consultations in order")
    async def topic(self, topic_id: FromPath[int]) -> TopicRead:
        return await services.get_topic(topic_id)


    @post("/consultations", status_code=HTTP_201_CREATED, summary="Create a consultation (draft)",
          guards=[guard("consultation.create")], tags=STAFF_TAGS)
    async def create(self, request: Request, staff: NamedDependency[Staff],
                     data: JSONBody[ConsultationCreate]) -> ConsultationDetail:
        consultation_id = await services.create_consultation(
            staff, title=data.title, department=data.department, closes_at=data.closes_at, summary=data.summary,
            body=data.body, opens_at=data.opens_at, topic=data.topic, sections=section_pairs(data.sections),
            client_address=client_address(request))
        return await services.staff_consultation(staff, consultation_id)

    @get("/staff/consultations", summary="The consultations a staff member manages, drafts included",
         guards=[guard("consultation.view_staff")], tags=STAFF_TAGS)
    async def mine(self, staff: NamedDependency[Staff], department: FromQuery[str | None] = None,
                   status: FromQuery[str | None] = None) -> ConsultationStaffList:
        items, total = await services.list_staff_consultations(staff, department, status)
        return ConsultationStaffList(items=items, total=total)

    @get("/staff/consultations/{consultation_id:int}", summary="A consultation as its department sees it",
         guards=[guard("consultation.view_staff")], tags=STAFF_TAGS)
    async def staff_view(self, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> ConsultationDetail:
        return await services.staff_consultation(staff, consultation_id)

    @patch("/consultations/{consultation_id:int}", summary="Edit texts, dates, topic or (draft) sections",
           guards=[guard("consultation.edit")], tags=STAFF_TAGS)
    async def update(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                     data: JSONBody[ConsultationUpdate]) -> ConsultationDetail:
        await services.update_consultation(staff, consultation_id, update_changes(data), client_address(request))
        return await services.staff_consultation(staff, consultation_id)

    @post("/consultations/{consultation_id:int}/attachments", status_code=HTTP_201_CREATED,
          summary="Attach a PDF, DOCX, PNG or JPEG (≤ 20 MB, checked by content)",
          guards=[guard("consultation.edit")], tags=STAFF_TAGS)
    async def attach(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                     data: Annotated[AttachmentUpload, Body(media_type=RequestEncodingType.MULTI_PART)]
                     ) -> AttachmentRead:
        content = await data.file.read()
        return await services.add_attachment(staff, consultation_id, content, data.file.filename, data.purpose,
                                             client_address(request))

    @post("/consultations/{consultation_id:int}/publish", status_code=HTTP_200_OK, summary="Publish: draft → open",
          guards=[guard("consultation.publish")], tags=STAFF_TAGS)
    async def publish(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> ConsultationDetail:
        await services.publish_consultation(staff, consultation_id, client_address(request))
        return await services.staff_consultation(staff, consultation_id)

    @post("/consultations/{consultation_id:int}/close", status_code=HTTP_200_OK, summary="Close early",
          guards=[guard("consultation.close")], tags=STAFF_TAGS)
    async def close(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> ConsultationDetail:
        await services.close_consultation(staff, consultation_id, client_address(request))
        return await services.staff_consultation(staff, consultation_id)

    @post("/consultations/{consultation_id:int}/extend", status_code=HTTP_200_OK,
          summary="Extend the deadline (recorded and shown publicly)",
          guards=[guard("consultation.extend")], tags=STAFF_TAGS)
    async def extend(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                     data: JSONBody[DeadlineExtend]) -> ConsultationDetail:
        await services.extend_deadline(staff, consultation_id, data.closes_at, data.reason, client_address(request))
        return await services.staff_consultation(staff, consultation_id)

    @put("/consultations/{consultation_id:int}/outcome", status_code=HTTP_200_OK,
         summary="Write the outcome (final text, interpretation)",
         guards=[guard("consultation.conclude")], tags=STAFF_TAGS)
    async def save_outcome(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                      data: JSONBody[OutcomeInput]) -> ConsultationDetail:
        await services.save_outcome(staff, consultation_id, data.final_text, data.interpretation,
                                    client_address(request))
        return await services.staff_consultation(staff, consultation_id)

    @post("/consultations/{consultation_id:int}/conclude", status_code=HTTP_200_OK,
          summary="Conclude: publish the outcome (closed → concluded)",
          guards=[guard("consultation.conclude")], tags=STAFF_TAGS)
    async def conclude(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int]) -> ConsultationDetail:
        await services.conclude_consultation(staff, consultation_id, client_address(request))
        return await services.staff_consultation(staff, consultation_id)

    @get("/consultations/{consultation_id:int}/review-queue", summary="All opinions, for review (filters)",
         guards=[guard("opinion.review")], tags=STAFF_TAGS)
    async def review_queue(self, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                           status: FromQuery[Moderation | None] = None, decision: FromQuery[Decision | None] = None,
                           section: FromQuery[int | None] = None, q: FromQuery[str | None] = None, page: FromQuery[int] = 1,
                           per_page: FromQuery[int] = DEFAULT_PER_PAGE) -> OpinionStaffList:
        filters = opinions.QueueFilters(status=status, decision=decision, section=section, q=q)
        items, total = await opinions.review_queue(staff, consultation_id, filters, page, per_page)
        page, per_page = page_bounds(page, per_page)
        return OpinionStaffList(items=items, total=total, page=page, per_page=per_page)

    @post("/consultations/{consultation_id:int}/reviews", status_code=HTTP_200_OK,
          summary="One decision and reply for many opinions",
          guards=[guard("opinion.review")], tags=STAFF_TAGS)
    async def bulk_review(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                          data: JSONBody[BulkReviewInput]) -> BulkReviewResult:
        items = await opinions.review_opinions(staff, consultation_id, data.ids, data.decision, data.reply,
                                               client_address(request))
        return BulkReviewResult(reviewed=len(items), items=items)

    @get("/consultations/{consultation_id:int}/export", summary="Export opinions as CSV or XLSX (audit-logged)",
         guards=[guard("consultation.export")], tags=STAFF_TAGS, opt=downloads(
             "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    async def export(self, request: Request, staff: NamedDependency[Staff], consultation_id: FromPath[int],
                     format: FromQuery[Literal["csv", "xlsx"]] = "csv") -> Response:
        return await export_response(staff, consultation_id, format, client_address(request))

    @post("/opinions/{opinion_id:int}/review", status_code=HTTP_200_OK, summary="Decide on an opinion, with a reply",
          guards=[guard("opinion.review")], tags=STAFF_TAGS)
    async def review(self, request: Request, staff: NamedDependency[Staff], opinion_id: FromPath[int],
                     data: JSONBody[ReviewInput]) -> OpinionStaff:
        return await opinions.review_opinion(staff, opinion_id, data.decision, data.reply, client_address(request))

    @post("/opinions/{opinion_id:int}/moderate", status_code=HTTP_200_OK, summary="Approve or reject a held opinion",
          guards=[guard("opinion.moderate")], tags=STAFF_TAGS)
    async def moderate(self, request: Request, staff: NamedDependency[Staff], opinion_id: FromPath[int],
                       data: JSONBody[ModerateInput]) -> OpinionStaff:
        return await opinions.moderate_opinion(staff, opinion_id, data.action, client_address(request))

    @post("/topics", status_code=HTTP_201_CREATED, summary="Create a topic (administrators)",
          guards=[guard("topic.manage")], tags=STAFF_TAGS)
    async def create_topic(self, request: Request, staff: NamedDependency[Staff],
                           data: JSONBody[TopicCreate]) -> TopicRead:
        return await services.create_topic(staff, data.title, data.description, client_address(request))


EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


async def export_response(staff: Staff, consultation_id: FromPath[int], fmt: str, address: str) -> Response:
    content, filename = await opinions.export_opinions(staff, consultation_id, fmt, address)
    return Response(content=content, media_type=EXPORT_TYPES[fmt],
                    headers={"content-disposition": f'attachment; filename="{filename}"',
                             "cache-control": "no-store"})
