"""Statistics as files: CSV (UTF-8 with a BOM, so Excel reads it) and XLSX (openpyxl).

A table is the API's rows (items, then the total) with the field names as the header. Text a
spreadsheet would run as a formula is written with a leading apostrophe (as consultations'
``safe_cell``), and XLSX cells holding text are typed as strings. Labels are the only text, and
they are names of departments, topics, consultations and months: no personal data.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from analytics.definitions import DATASETS, LABELS, fields_of, frozen_definitions
from engagement.i18n import _, catalogue

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def plain(value: Any) -> Any:
    """A cell: empty for null, true/false for booleans, formula-safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(value)


def table(dataset: str, statistics: Any) -> list[list[Any]]:
    """Header and rows (items, then the total) of an API answer or its frozen dict."""
    data = msgspec.to_builtins(statistics) if not isinstance(statistics, dict) else statistics
    fields = fields_of(dataset)
    return [fields, *([plain(row.get(name)) for name in fields] for row in [*data["items"], data["total"]])]


def to_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    """One sheet per table (sheet names are cut to Excel's 31 characters)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title[:31])
        for line in rows:
            sheet.append(list(line))
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def definition_rows(datasets: Iterable[str]) -> list[list[str]]:
    """A sheet defining every field of ``datasets``, in the current language."""
    rows = [["dataset", "field", _("Heading"), _("Definition")]]
    for dataset in dict.fromkeys(datasets):
        rows += [[dataset, name, _(LABELS.get(name, name)), _(text)] for name, text in DATASETS[dataset].items()]
    return [[safe_cell(value) for value in row] for row in rows]


def definitions_sheet_name() -> str:
    return _("Definitions")[:31]


def export(dataset: str, by: str, statistics: Any, fmt: str) -> tuple[bytes, str]:
    """(content, filename) of one dataset."""
    rows = table(dataset, statistics)
    filename = f"statistics-{dataset}-by-{by}.{fmt}"
    if fmt == "csv":
        return to_csv(rows), filename
    return to_xlsx({f"{dataset}-{by}": rows, definitions_sheet_name(): definition_rows([dataset])}), filename


def open_data_zip(tables: dict[str, dict[str, Any]], scope: dict[str, Any]) -> bytes:
    """Every table as its own CSV, a README (Markdown, Chinese and English) defining each file and
    field, and SHA256SUMS, in one ZIP (Decidim's open-data export ships one CSV per type with a README)."""
    files = {f"{dataset}-by-{by}.csv": to_csv(table(dataset, statistics))
             for dataset, groupings in tables.items() for by, statistics in groupings.items()}
    files["README.md"] = open_data_readme(tables, scope).encode("utf-8")
    sums = "".join(f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in sorted(files.items()))
    files["SHA256SUMS"] = sums.encode("ascii")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content,
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def open_data_readme(tables: dict[str, dict[str, Any]], scope: dict[str, Any]) -> str:
    """The README of the open-data ZIP: what was counted, then each file's fields in both languages."""
    texts = frozen_definitions()
    zh = catalogue("zh_CN", "analytics")
    period = f"{scope.get('period_start') or '…'} – {scope.get('period_end') or '…'}"
    lines = ["# 政民互动 open data / 开放数据", "",
             f"- period / 统计期间 (Beijing dates, both included): {period}",
             f"- department / 部门: {scope.get('department') or 'all / 全部'}",
             f"- computed at / 计算时间 (UTC): {scope.get('computed_at', '')}", "",
             ("Files are CSV, UTF-8 with a byte-order mark (Excel opens them), one line per group and a last line "
             "`total`; an empty cell is null (nothing to count). SHA256SUMS lists each file's SHA-256."),
             ("文件为 UTF-8（带 BOM）编码的 CSV，每个分组一行，最后一行为合计（total）；空单元格表示无数据。"
             "SHA256SUMS 列出每个文件的 SHA-256。"), ""]
    for dataset, groupings in tables.items():
        for by in groupings:
            lines += [f"## {dataset}-by-{by}.csv", "", "| field | 名称 | definition | 定义 |", "|---|---|---|---|"]
            for name in fields_of(dataset):
                text = texts[dataset][name]
                lines.append(f"| `{name}` | {zh.gettext(LABELS.get(name, name))} | {text['en']} | {text['zh_CN']} |")
            lines.append("")
    return "\n".join(lines)
