"""Exports: the API's rows as CSV (UTF-8 with BOM) and XLSX, formula-safe."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.analytics import factories

FORMULA_TITLE = "=HYPERLINK(\"http://example.com\",\"点我\")"


async def test_csv_and_xlsx_have_the_same_rows_as_the_api(client, cast, make_consultation):
    admin = await factories.staff(cast.admin)
    consultation = await make_consultation("fgw", title=FORMULA_TITLE)
    await factories.decide(admin, await factories.opinion(consultation["id"]), "adopted")
    api = (await client.get("/api/v1/statistics/adoption", params={"by": "consultation"})).json()

    response = await client.get("/api/v1/statistics/export",
                                params={"dataset": "adoption", "by": "consultation", "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "statistics-adoption-by-consultation.csv" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["key", "label", "opinions", "decided"]
    assert rows[1][1] == "'" + FORMULA_TITLE  # never run as a formula
    assert rows[1][0] == api["items"][0]["key"] and rows[1][2:5] == ["1", "1", "1"]
    assert rows[-1][0] == "total" and len(rows) == len(api["items"]) + 2

    response = await client.get("/api/v1/statistics/export",
                                params={"dataset": "adoption", "by": "consultation", "format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["adoption-consultation"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["key", "label"] and values[1][1] == "'" + FORMULA_TITLE
    assert values[1][2] == 1 and values[-1][0] == "total"
    assert len(workbook.sheetnames) == 2  # the rows and the definitions


async def test_mailbox_and_events_exports(client, cast):
    for dataset, by in (("mailbox", "month"), ("mailbox", "department"), ("events", None)):
        params = {"dataset": dataset, "format": "csv", **({"by": by} if by else {})}
        response = await client.get("/api/v1/statistics/export", params=params)
        assert response.status_code == 200, response.text
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[-1][0] == "total"
    bad = await client.get("/api/v1/statistics/export", params={"dataset": "events", "format": "pdf"})
    assert bad.status_code == 400
