"""Published statistics reports: frozen figures, their hash, publication, who sees drafts, downloads."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from openpyxl import load_workbook

from tests.analytics import factories
from tests.analytics.factories import at, decide
from tests.support import assert_max_queries

MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-31"}


@pytest.fixture
async def march(client, cast, headers, make_consultation):
    """A consultation of fgw with 4 opinions decided in March 2026: 2 adopted, 1 partially, 1 not."""
    await headers("fgw_editor")
    admin = await factories.staff(cast.admin)
    with at("2026-03-02T10:00:00+08:00"):
        consultation = await make_consultation("fgw", title="城市更新三年行动方案")
        ids = [await factories.opinion(consultation["id"]) for _ in range(4)]
    with at("2026-03-20T10:00:00+08:00"):
        for opinion_id, decision in zip(ids, ["adopted", "adopted", "partially_adopted", "not_adopted"]):
            await decide(admin, opinion_id, decision)
    return ids


async def create(client, headers, who: str, **body):
    return await client.post("/api/v1/statistics/reports", json={"title": "2026年3月意见采纳情况月点评", **MARCH, **body},
                             headers=await headers(who))


async def test_a_published_report_keeps_its_figures_when_a_decision_changes(client, cast, headers, march):
    created = await create(client, headers, "admin")
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["status"] == "draft"
    fgw = report["figures"]["adoption"]["department"]["items"][0]
    assert (fgw["key"], fgw["decided"], fgw["adopted"], fgw["adoption_rate"]) == ("fgw", 4, 3, 0.75)
    assert report["definitions"]["adoption"]["adoption_rate"]["zh_CN"]
    assert set(report["figures"]) == {"adoption", "mailbox", "events", "rectifications"}

    published = await client.post(f"/api/v1/statistics/reports/{report['id']}/publish", headers=await headers("admin"))
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published" and published.json()["published_at"]
    again = await client.post(f"/api/v1/statistics/reports/{report['id']}/publish", headers=await headers("admin"))
    assert again.status_code == 409

    await decide(await factories.staff(cast.admin), march[0], "not_adopted")  # today, after publication
    live = (await client.get("/api/v1/statistics/adoption", params={"by": "department"})).json()["items"][0]
    assert (live["adopted"], live["adoption_rate"]) == (2, 0.5)
    public = (await client.get(f"/api/v1/statistics/reports/{report['id']}")).json()
    assert public["figures"] == report["figures"] and public["data_sha256"] == report["data_sha256"]

    download = await client.get(f"/api/v1/statistics/reports/{report['id']}/export", params={"format": "json"})
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == report["data_sha256"]


async def test_drafts_are_seen_by_their_department_only(client, cast, headers, march):
    draft = (await create(client, headers, "fgw_editor", department="fgw")).json()
    assert draft["department"] == {"slug": "fgw", "name": "市发展和改革委员会"}
    assert "events" not in draft["figures"]  # live sessions belong to no department
    path = f"/api/v1/statistics/reports/{draft['id']}"
    assert (await client.get(path)).status_code == 404
    assert (await client.get(path, headers=await headers("zjj_editor"))).status_code == 404
    assert (await client.get(path, headers=await headers("fgw_editor"))).status_code == 200
    assert (await client.get("/api/v1/statistics/reports")).json() == {"items": [], "total": 0, "page": 1,
                                                                      "per_page": 20}
    mine = (await client.get("/api/v1/statistics/reports", headers=await headers("fgw_editor"))).json()
    assert [item["id"] for item in mine["items"]] == [draft["id"]]
    assert (await client.get("/api/v1/statistics/reports", headers=await headers("zjj_editor"))).json()["total"] == 0

    refused = await client.post(f"{path}/publish", headers=await headers("zjj_editor"))
    assert refused.status_code == 403
    assert (await client.post(f"{path}/publish", headers=await headers("fgw_editor"))).status_code == 200
    listed = (await client.get("/api/v1/statistics/reports")).json()
    assert listed["total"] == 1 and "figures" not in listed["items"][0]


@pytest.mark.parametrize("who, body, status", [
    ("zjj_editor", {"department": "fgw"}, 403),  # another department
    ("fgw_editor", {}, 403),  # every department: administrators only
    ("host", {}, 403),
    ("admin", {"period_start": "2026-04-01"}, 400),  # ends before it starts
    ("admin", {"title": ""}, 400),
    ("admin", {"department": "nowhere"}, 400),
])
async def test_who_may_create_a_report(client, cast, headers, who, body, status):
    response = await create(client, headers, who, **body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]


async def test_anonymous_cannot_create_or_publish(client, cast):
    assert (await client.post("/api/v1/statistics/reports", json={"title": "x", **MARCH})).status_code == 401
    assert (await client.post("/api/v1/statistics/reports/1/publish")).status_code == 401


async def test_csv_and_xlsx_downloads_of_a_report(client, cast, headers, march):
    report = (await create(client, headers, "admin")).json()
    await client.post(f"/api/v1/statistics/reports/{report['id']}/publish", headers=await headers("admin"))
    path = f"/api/v1/statistics/reports/{report['id']}/export"
    response = await client.get(path, params={"format": "csv"})
    assert response.status_code == 200 and response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["dataset", "by", "key", "label", "figure", "value"]
    assert ["adoption", "department", "fgw", "市发展和改革委员会", "adoption_rate", "0.75"] in rows
    workbook = load_workbook(io.BytesIO((await client.get(path, params={"format": "xlsx"})).content))
    assert {"report", "adoption-department", "adoption-month", "mailbox-department", "events-kind"} <= set(
        workbook.sheetnames)
    about = {row[0].value: row[1].value for row in workbook["report"].iter_rows(min_row=2)}
    assert about["data_sha256"] == report["data_sha256"]
    assert (await client.get(path, params={"format": "pdf"})).status_code == 400


async def test_report_lists_run_a_fixed_number_of_queries(client, cast, headers, march):
    for _index in range(3):
        report = (await create(client, headers, "admin")).json()
        await client.post(f"/api/v1/statistics/reports/{report['id']}/publish", headers=await headers("admin"))
    with assert_max_queries(2):
        listed = await client.get("/api/v1/statistics/reports")
    assert listed.json()["total"] == 3
    with assert_max_queries(1):
        await client.get(f"/api/v1/statistics/reports/{report['id']}")
