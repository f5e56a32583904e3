"""Sample content for live-session tests, made through the module's services (and the API where a test needs HTTP)."""

from __future__ import annotations

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
