"""Sample content for live-session tests, made through the module's services (and the API where a test needs HTTP)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from engagement.accounts import issue_token, staff_for_token
from engagement.verification import VerifiedCitizen

GUESTS = [{"name": "王建国", "title": "市住房和城乡建设局局长"}, {"name": "李芳", "title": "市住建局物业处处长"}]


def session_body(**overrides):
    body = {
        "kind": "interview",
        "title": "老旧小区加装电梯怎么办",
        "description": "住建局负责同志做客访谈，解读加装电梯补贴政策。",
        "guests": GUESTS,
        "scheduled_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
    }
    body.update(overrides)
    return body


async def staff_of(person):
    """The Staff object of a cast member, as a handler would see it."""
    return await staff_for_token(await issue_token(person.id))


async def make_session(cast, status="announced", **overrides):
    from live_sessions import services

    host = await staff_of(cast.host)
    body = session_body(**overrides)
    row = await services.create_session(
        host, kind=body["kind"], title=body["title"], description=body["description"], guests=body["guests"],
        scheduled_at=datetime.fromisoformat(body["scheduled_at"]),
    )
    if status in ("live", "ended"):
        await services.start_session(host, row["id"])
    if status == "ended":
        await services.end_session(host, row["id"])
    return row["id"]


_phone_counter = [0]


async def make_citizen(index: int | None = None) -> VerifiedCitizen:
    """A verified citizen without the SMS round trip (service-level tests), made by the core's own function."""

    from engagement.verification import citizen_for_phone

    _phone_counter[0] += 1
    number = f"+86139{(index if index is not None else _phone_counter[0]):08d}"
    return await citizen_for_phone(number)


async def ask(cast, session_id, content="加装电梯的补贴标准是多少？", name="张小明", citizen=None):
    from live_sessions import services_questions

    citizen = citizen or await make_citizen()
    return (await services_questions.ask_question(citizen, session_id, content, name))["id"]


async def approve(cast, question_id):
    from live_sessions import services_questions

    await services_questions.moderate_question(await staff_of(cast.host), question_id, "approve")


# ---------- issues of TV questioning programmes and open meetings ----------


async def make_programme(cast, status="announced", **overrides):
    """A TV questioning programme (a session of kind tv_questioning); ``issues_close_at`` may be given."""
    from live_sessions import services

    host = await staff_of(cast.host)
    body = session_body(kind="tv_questioning", title="电视问政：城市管理专场", **overrides)
    row = await services.create_session(
        host, kind=body["kind"], title=body["title"], description=body["description"], guests=body["guests"],
        scheduled_at=datetime.fromisoformat(body["scheduled_at"]), issues_close_at=body.get("issues_close_at"),
    )
    if status in ("live", "ended"):
        await services.start_session(host, row["id"])
    if status == "ended":
        await services.end_session(host, row["id"])
    return row["id"]


async def propose(session_id, title="小区门口路灯坏了三个月", content="幸福路12号门口路灯不亮，晚上出行很不方便。",
                  citizen=None, name="", notify=False, location="幸福路12号", category="城市管理"):
    from live_sessions import services_issues

    citizen = citizen or await make_citizen()
    row = await services_issues.propose_issue(session_id, citizen, title=title, content=content, location=location,
                                              category=category, name=name, notify=notify)
    return row["id"]


async def published_issue(cast, session_id, **kwargs):
    """A proposed issue, approved by the host."""
    from live_sessions import services_issues

    issue_id = await propose(session_id, **kwargs)
    await services_issues.moderate_issue(issue_id, await staff_of(cast.host), "approve", "")
    return issue_id


async def support(issue_id, citizen=None, notify=False):
    from live_sessions import services_issues

    citizen = citizen or await make_citizen()
    return await services_issues.support_issue(issue_id, citizen, notify)


async def selected_issue(cast, session_id, note="支持人数最多，涉及多个部门", **kwargs):
    from live_sessions import services_issues

    issue_id = await published_issue(cast, session_id, **kwargs)
    await services_issues.select_issue(issue_id, await staff_of(cast.host), note)
    return issue_id


# ---------- open meetings: registrations ----------

QUOTAS = [{"category": "resident", "label": "居民代表", "seats": 2}, {"category": "enterprise", "label": "企业代表",
                                                                   "seats": 1}]


def meeting_body(**overrides):
    """An open meeting as the API announces it: 3 seats, first come, registration open now."""
    starts = datetime.now(UTC) + timedelta(days=5)
    body = {
        "kind": "open_meeting",
        "title": "县政府第86次常务会议",
        "description": "邀请群众代表列席，议题涉及老旧小区改造。",
        "guests": [],
        "scheduled_at": starts.isoformat(),
        "capacity": 3,
        "place": "县行政中心三楼会议室",
        "agenda": "审议《老旧小区改造三年行动方案》",
        "registration_closes_at": (starts - timedelta(days=1)).isoformat(),
    }
    body.update(overrides)
    return body


async def make_meeting(cast, **overrides):
    """An open meeting made by the services (``meeting_body`` fields as keywords); returns its id."""
    from live_sessions import services

    body = meeting_body(**overrides)
    moments = {key: datetime.fromisoformat(body[key]) if body.get(key) else None
               for key in ("scheduled_at", "registration_opens_at", "registration_closes_at")}
    row = await services.create_session(
        await staff_of(cast.host), kind=body["kind"], title=body["title"], description=body["description"],
        guests=body["guests"], capacity=body["capacity"], place=body["place"], agenda=body["agenda"],
        allocation=body.get("allocation"), quotas=body.get("quotas"), offer_hours=body.get("offer_hours"), **moments,
    )
    return row["id"]


async def register(session_id, citizen=None, name="张小明", category=""):
    """A registration through the services: (row, code)."""
    from live_sessions import services_registrations

    citizen = citizen or await make_citizen()
    return await services_registrations.register(session_id, citizen, name=name, category=category)


# ---------- rectification (整改) of selected issues ----------

# A small baseline JPEG (JFIF; the Python logo from CPython's test data), to which tests add EXIF and a comment.
PLAIN_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwS"
    "ExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBD/wAAR"
    "CAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAAAAAAAAAAAQIDBAYFBwgSExEiABQJMTL/xAAV"
    "AQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQMEBQYhABIxFRZhgeH/2gAMAwEAAhEDEQA/ABSm0mobc8HmExLU"
    "lRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/Hv"
    "uRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ"
    "/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolvw4KOp1KM6iCNvngZHwetf//Z"
)
GPS_MARK = b"GPSLatitude 29.2934N 121.4310E"


def jpeg_with_metadata(secret: bytes = GPS_MARK) -> bytes:
    """PLAIN_JPEG with an EXIF segment (APP1) and a comment (COM) that carry ``secret``."""
    exif = b"Exif\x00\x00" + secret
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    comment = b"\xff\xfe" + (len(secret) + 2).to_bytes(2, "big") + secret
    return PLAIN_JPEG[:2] + app1 + comment + PLAIN_JPEG[2:]


async def rectified_issue(cast, session_id=None, department="zjj", commitment="两周内修复路灯并加装感应装置",
                          due_date=None, working_days=None, **issue_kwargs):
    """A selected issue of a TV questioning programme with its commitment recorded; (session_id, issue_id)."""
    from datetime import date, timedelta

    from live_sessions import services_rectifications

    session_id = session_id or await make_programme(cast)
    issue_id = await selected_issue(cast, session_id, **issue_kwargs)
    if due_date is None and working_days is None:
        due_date = date.today() + timedelta(days=30)
    await services_rectifications.record_rectification(
        await staff_of(cast.host), issue_id, department=department, commitment=commitment, due_date=due_date,
        working_days=working_days)
    return session_id, issue_id


async def progress(cast, issue_id, content="已更换灯具，正在调试", person=None, photos=()):
    from live_sessions import services_rectifications

    return await services_rectifications.post_progress(await staff_of(person or cast.zjj_editor), issue_id, content,
                                                       photos)


async def complete(cast, issue_id, content="路灯已全部修复", person=None):
    from live_sessions import services_rectifications

    return await services_rectifications.complete_rectification(await staff_of(person or cast.zjj_editor), issue_id,
                                                                content)
