"""No phone number, name or citizen text in any statistics output: API, exports, reports, pages."""

from __future__ import annotations

import io
import re
import zipfile

from mailbox import services as mailbox
from tests.analytics import factories
from tests.analytics.factories import NAMES, decide

WRITER = "欧阳娜娜"
PHONE = "+8613700001111"
PERSONAL = [*NAMES, WRITER, "13800138000", "138****8000", "13700001111", "137****1111", "某某公司", "夜间施工"]
PHONE_LIKE = re.compile(r"(?<![0-9a-f])1[3-9]\d{9}(?![0-9a-f])|\d{3}\*{4}\d{4}")
HASH = re.compile(r"\b[0-9a-f]{64}\b")  # the report's SHA-256 may hold a run of digits


def xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return " ".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


async def outputs(client, headers, report_id: int) -> dict[str, str]:
    found: dict[str, str] = {}
    for path, params in [("adoption", {"by": by}) for by in ("department", "topic", "month", "consultation")] + [
            ("mailbox", {"by": by}) for by in ("department", "month")] + [("events", {})] + [
            ("rectifications", {"by": by}) for by in ("department", "month")]:
        found[f"{path} {params}"] = (await client.get(f"/api/v1/statistics/{path}", params=params)).text
    for dataset, by in (("adoption", "consultation"), ("mailbox", "department"), ("events", "kind")):
        for fmt in ("csv", "xlsx"):
            response = await client.get("/api/v1/statistics/export", params={"dataset": dataset, "by": by, "format": fmt})
            found[f"export {dataset} {fmt}"] = xlsx_text(response.content) if fmt == "xlsx" else response.text
    for fmt in ("csv", "xlsx", "json"):
        response = await client.get(f"/api/v1/statistics/reports/{report_id}/export", params={"format": fmt})
        found[f"report {fmt}"] = xlsx_text(response.content) if fmt == "xlsx" else response.text
    with zipfile.ZipFile(io.BytesIO((await client.get("/api/v1/statistics/open-data")).content)) as archive:
        found["open data"] = " ".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
    found["report api"] = (await client.get(f"/api/v1/statistics/reports/{report_id}")).text
    found["reports list"] = (await client.get("/api/v1/statistics/reports")).text
    found["page"] = (await client.get("/statistics")).text
    found["report page"] = (await client.get(f"/statistics/reports/{report_id}")).text
    return found


async def test_no_personal_data_in_any_statistics_output(client, cast, headers, make_consultation):
    admin = await factories.staff(cast.admin)
    consultation = await make_consultation("fgw", title="城市更新三年行动方案")
    for decision in ("adopted", "not_adopted"):
        await decide(admin, await factories.opinion(consultation["id"]), decision, reply="感谢张小明的意见。")
    from engagement.verification import citizen_for_phone

    letter = await mailbox.submit_letter(await citizen_for_phone(PHONE), subject=f"{WRITER}反映夜间施工",
                                         body="夜间施工噪音很大，电话13700001111。", name=WRITER, department="fgw")
    await mailbox.reply_to_letter(admin, letter.letter["tracking_number"], f"{WRITER}您好，已处理。")
    await mailbox.rate_letter(letter.letter["tracking_number"], letter.query_code, 5, "很满意，王秀英")
    created = await client.post("/api/v1/statistics/reports", headers=await headers("admin"), json={
        "title": "年度通报", "period_start": "2026-01-01", "period_end": "2026-12-31"})
    assert created.status_code == 201, created.text
    report_id = created.json()["id"]
    await client.post(f"/api/v1/statistics/reports/{report_id}/publish", headers=await headers("admin"))

    for name, text in (await outputs(client, headers, report_id)).items():
        leaked = [value for value in PERSONAL if value in text]
        assert not leaked, f"{name} shows {leaked}"
        text = HASH.sub("", text)
        assert not PHONE_LIKE.search(text), f"{name}: {PHONE_LIKE.search(text).group()}"
