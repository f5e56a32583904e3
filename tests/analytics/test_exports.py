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


async def test_the_open_data_zip_has_every_table_a_readme_defining_each_field_and_checksums(client, cast):
    import hashlib
    import io
    import zipfile

    from analytics.definitions import fields_of
    from analytics.schemas import GROUPINGS

    page = await client.get("/statistics")
    assert 'href="/api/v1/statistics/open-data?"' in page.text
    response = await client.get("/api/v1/statistics/open-data", params={"period_end": "2026-12-31"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    tables = {f"{dataset}-by-{by}.csv" for dataset, groupings in GROUPINGS.items() for by in groupings}
    assert set(archive.namelist()) == tables | {"README.md", "SHA256SUMS"}
    readme = archive.read("README.md").decode("utf-8")
    assert "2026-12-31" in readme
    for dataset in GROUPINGS:
        assert all(f"| `{field}` |" in readme for field in fields_of(dataset))
    assert "| `adoption_rate` | 采纳率 |" in readme
    for line in archive.read("SHA256SUMS").decode("ascii").splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    header = archive.read("mailbox-by-department.csv").decode("utf-8-sig").splitlines()[0]
    assert header == ",".join(fields_of("mailbox"))
    refused = await client.get("/api/v1/statistics/open-data", params={"department": "nowhere"})
    assert refused.status_code == 400
