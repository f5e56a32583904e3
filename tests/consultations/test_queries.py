"""List pages and queues run a number of queries that does not grow with the number of rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from consultations import opinions as opinion_services
from consultations import services
from engagement.verification import VerifiedCitizen, citizen_for_phone
from tests.consultations.conftest import staff_of
from tests.support import captured_queries, citizen_headers, staff_headers


async def _world(cast, client, consultations: int, opinions: int, first: int | None = None, more_opinions: int = 0):
    """``consultations`` published consultations; the first one gets ``opinions`` opinions, some reviewed."""
    from engagement.tables import Citizen

    editor = await staff_of(cast.fgw_editor)
    closes = datetime.now(UTC) + timedelta(days=10)
    ids = []
    for n in range(consultations):
        cid = await services.create_consultation(editor, title=f"第{n}号规划征求意见", department="fgw", closes_at=closes,
                                                 sections=[("总则", "……"), ("任务", "……")])
        await services.publish_consultation(editor, cid)
        ids.append(cid)
    if first is None:
        await citizen_headers(client, "13800138000")
    row = await Citizen.select(Citizen.id, Citizen.phone_hash).first()
    target = first if first is not None else ids[0]
    opinions = opinions or more_opinions
    offset = 1000 if first is not None else 0
    citizen = VerifiedCitizen(id=row["id"], phone_hash=row["phone_hash"])
    for n in range(offset, offset + opinions):
        if (n - offset) % 5 == 0:  # one citizen may submit only a few opinions a minute (engagement.limits)
            citizen = await citizen_for_phone(f"1380{n:07d}")
        submitted = await opinion_services.submit_opinion(citizen, target, f"第{n}条意见：建议增加绿地。", name="张小明",
                                                  section=1 + n % 2)
        if n % 3 == 0:
            await opinion_services.review_opinion(editor, submitted.id, "adopted", "已采纳")
        await opinion_services.support_opinion(citizen, submitted.id)
    return target


async def _count(client, url, **kwargs) -> int:
    with captured_queries() as statements:
        response = await client.get(url, **kwargs)
    assert response.status_code == 200, response.text
    return len(statements)


PAGES = {
    "consultation list (API)": lambda cid: "/api/v1/consultations",
    "consultation (API)": lambda cid: f"/api/v1/consultations/{cid}",
    "opinions (API)": lambda cid: f"/api/v1/consultations/{cid}/opinions",
    "review queue (API)": lambda cid: f"/api/v1/consultations/{cid}/review-queue",
    "consultation list (page)": lambda cid: "/consultations",
    "consultation (page)": lambda cid: f"/consultations/{cid}",
    "review queue (page)": lambda cid: f"/staff/consultations/{cid}/opinions",
    "staff consultation list (page)": lambda cid: "/staff/consultations",
}
STAFF_PAGES = {"review queue (API)"}


async def test_queries_do_not_grow_with_rows(client, cast):
    """Every list page and queue, measured with 5 rows and again with 200 (consultations and opinions)."""
    from tests.consultations.test_pages import csrf_client_login

    editor_headers = await staff_headers(client, cast.fgw_editor)
    await csrf_client_login(client, cast.fgw_editor)  # the website's session, for the staff pages
    measured = {}
    cid = await _world(cast, client, consultations=5, opinions=5)
    for name, url in PAGES.items():
        measured[name] = [await _count(client, url(cid), headers=editor_headers if name in STAFF_PAGES else {})]
    await _world(cast, client, consultations=195, opinions=0, first=cid, more_opinions=195)
    for name, url in PAGES.items():
        measured[name].append(await _count(client, url(cid), headers=editor_headers if name in STAFF_PAGES else {}))
    grown = {name: counts for name, counts in measured.items() if counts[0] != counts[1]}
    assert not grown, f"queries grew with the rows (5 rows, 200 rows): {grown}"
    print({name: counts[0] for name, counts in measured.items()})
