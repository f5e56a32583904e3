"""Statistics as files: CSV (UTF-8 with a BOM, so Excel reads it) and XLSX (openpyxl).

A table is the API's rows (items, then the total) with the field names as the header. Text a
spreadsheet would run as a formula is written with a leading apostrophe (as consultations'
``safe_cell``), and XLSX cells holding text are typed as strings. Labels are the only text, and
they are names of departments, topics, consultations and months: no personal data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from analytics.definitions import DATASETS, LABELS, fields_of
from engagement.i18n import _

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
