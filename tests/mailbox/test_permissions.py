"""Authorisation over every staff route of the mailbox, generated from the application's routes.

A letter is routed to fgw: admin and fgw see and act on it; zjj and the host are refused; nobody
logged in is asked to log in. A new staff route without a row here fails
``test_every_staff_route_is_in_the_table``.
"""

from dataclasses import dataclass, field

import pytest

from mailbox import services
from tests.mailbox import factories
from tests.support import staff_headers

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ACTORS = ["anonymous", "admin", "fgw_editor", "zjj_editor", "host"]


@dataclass(frozen=True)
class Case:
    allowed: frozenset  # actors that succeed; the others get 403 (401 / login redirect when anonymous)
    ok: int = 200
    state: str = "assigned"  # assigned (to fgw), replied or published
    body: dict = field(default_factory=dict)
    lists: bool = False  # a list: everyone allowed gets 200, only those who may see the letter find it


STAFF_OF_FGW = frozenset({"admin", "fgw_editor"})
API = "/api/v1/letters/{tracking_number:str}"
PAGE = "/staff/mailbox/{tracking_number:str}"
TABLE = {
    ("POST", f"{API}/assign"): Case(frozenset({"admin"}), body={"department": "zjj"}),
    ("POST", f"{API}/reply"): Case(STAFF_OF_FGW, body={"reply": "已处理。"}),
    ("POST", f"{API}/transfer"): Case(STAFF_OF_FGW, body={"reason": "不属于本部门职责"}),
    ("POST", f"{API}/notes"): Case(STAFF_OF_FGW, ok=201, body={"body": "请核实"}),
    ("GET", f"{API}/publication"): Case(STAFF_OF_FGW, state="replied"),
    ("POST", f"{API}/publish"): Case(STAFF_OF_FGW, state="replied"),
    ("POST", f"{API}/unpublish"): Case(STAFF_OF_FGW, state="published"),
    ("POST", f"{API}/close"): Case(STAFF_OF_FGW, state="replied"),
    ("GET", "/api/v1/staff/letters"): Case(STAFF_OF_FGW | {"zjj_editor"}, lists=True),
    ("GET", "/api/v1/staff/letters/{tracking_number:str}"): Case(STAFF_OF_FGW),
    ("GET", "/api/v1/staff/reply-templates"): Case(STAFF_OF_FGW | {"zjj_editor"}),
    ("POST", "/api/v1/staff/reply-templates"): Case(STAFF_OF_FGW | {"zjj_editor"}, ok=201,
                                                    body={"title": "通用", "body": "您好！"}),
    ("GET", "/staff/mailbox"): Case(STAFF_OF_FGW | {"zjj_editor"}, lists=True),
    ("GET", PAGE): Case(STAFF_OF_FGW),
    ("POST", f"{PAGE}/assign"): Case(frozenset({"admin"}), ok=303, body={"department": "zjj"}),
    ("POST", f"{PAGE}/reply"): Case(STAFF_OF_FGW, ok=303, body={"reply": "已处理。"}),
    ("POST", f"{PAGE}/transfer"): Case(STAFF_OF_FGW, ok=303, body={"reason": "不属于本部门职责"}),
    ("POST", f"{PAGE}/notes"): Case(STAFF_OF_FGW, ok=303, body={"body": "请核实"}),
    ("GET", f"{PAGE}/publish"): Case(STAFF_OF_FGW, state="replied"),
    ("POST", f"{PAGE}/publish"): Case(STAFF_OF_FGW, ok=303, state="replied"),
    ("POST", f"{PAGE}/unpublish"): Case(STAFF_OF_FGW, ok=303, state="published"),
    ("POST", f"{PAGE}/close"): Case(STAFF_OF_FGW, ok=303, state="replied"),
    ("POST", "/staff/mailbox/reply-templates"): Case(STAFF_OF_FGW | {"zjj_editor"}, ok=303,
                                                     body={"title": "通用", "body": "您好！"}),
    ("GET", f"{PAGE}/attachments/{{attachment_id:int}}"): Case(STAFF_OF_FGW),
}


def guarded_mailbox_routes() -> set[tuple[str, str]]:
    from litestar.routes import HTTPRoute

    from engagement.app import create_app

    routes = set()
    for route in create_app().routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.fn.__module__.startswith("mailbox.") or not list(handler.resolve_guards()):
                continue
            routes.update((method, route.path) for method in handler.http_methods if method != "OPTIONS")
    return routes


def test_every_staff_route_is_in_the_table():
    assert guarded_mailbox_routes() == set(TABLE)


async def _letter(cast, state: str) -> tuple[str, int]:
    submitted = await factories.letter(attachments=[services.Upload(PNG, "photo.png")])
    number = submitted.letter["tracking_number"]
    admin = await factories.staff(cast.admin)
    await services.assign_letter(admin, number, "fgw")
    if state in ("replied", "published"):
        await services.reply_to_letter(admin, number, "已处理。")
    if state == "published":
        await services.publish_letter(admin, number)
    attachment = (await services.staff_letter_detail(admin, number))["attachments"][0]["id"]
    return number, attachment


async def _as(client, cast, actor: str, page: bool) -> dict[str, str]:
    client.cookies.clear()
    if actor == "anonymous":
        await client.get("/mailbox")  # a CSRF cookie, so a refusal is about identity, not the token
        return {"x-csrftoken": client.cookies.get("engagement_csrf", "")}
    person = getattr(cast, actor)
    if not page:
        return await staff_headers(client, person)
    await client.get("/login")
    token = client.cookies.get("engagement_csrf")
    response = await client.post("/login", data={"username": person.username, "password": person.password,
                                                 "next": "/staff", "_csrf_token": token})
    assert response.status_code == 303, response.text
    return {"x-csrftoken": client.cookies.get("engagement_csrf", token)}


@pytest.mark.parametrize("method, path", sorted(TABLE), ids=[f"{m} {p}" for m, p in sorted(TABLE)])
async def test_a_department_sees_and_answers_only_letters_routed_to_it(client, cast, method, path):
    case = TABLE[(method, path)]
    page = not path.startswith("/api/")
    for actor in ACTORS:
        number, attachment = await _letter(cast, case.state)
        url = path.replace("{tracking_number:str}", number).replace("{attachment_id:int}", str(attachment))
        headers = await _as(client, cast, actor, page)
        if method == "GET":
            response = await client.get(url, headers=headers)
        elif page:
            response = await client.post(url, data=case.body, headers=headers)
        else:
            response = await client.post(url, json=case.body, headers=headers)
        if actor == "anonymous":
            expected = 303 if page else 401
        else:
            expected = case.ok if actor in case.allowed else 403
        assert response.status_code == expected, (actor, url, response.text[:300])
        if page and actor == "anonymous":
            assert response.headers["location"].startswith("/login")
        if case.lists and expected == 200:
            assert (number in response.text) == (actor in STAFF_OF_FGW), actor
