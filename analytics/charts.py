"""Charts drawn on the server as inline SVG: no script, no library, no CDN.

Every chart is horizontal, one row per group with its name above the marks, so it narrows to a
phone without losing its labels; elder mode draws it with larger text. The SVG is an image with a
title and a description (``role="img"``); the page puts a table with the same figures and a
written summary beside it, so nobody depends on seeing the picture. Colours are from the site's
palette, at least 7:1 against white; each series is also told apart by its shape (solid bar,
hatched bar, outlined bar) and named in a legend.

    interval_chart(rows, "adoption_rate", "ci_low", "ci_high", ...)  # points with 95% intervals
    bar_chart(rows, [("letters", _("Letters")), ("replied", _("Replied"))], ...)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from engagement.i18n import _

SERIES_CLASSES = ("series-a", "series-b", "series-c")


@dataclass(frozen=True)
class Size:
    width: int = 360
    text: int = 14
    bar: int = 12

    @classmethod
    def for_mode(cls, elder: bool) -> Size:
        return cls(width=420, text=20, bar=16) if elder else cls()

    @property
    def line(self) -> int:
        return self.text + 8

    def fit(self, text: str) -> str:
        """Cut a name to the chart's width (the table beside it has it in full)."""
        room, used = (self.width - 16) / self.text, 0.0
        for index, char in enumerate(text):
            used += 0.6 if char.isascii() else 1.0  # Latin letters and digits are about half as wide as 汉字
            if used > room:
                return text[: max(index - 1, 0)] + "…"
        return text


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    summary: str
    svg: Markup


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _svg(chart_id: str, title: str, summary: str, height: int, body: list[str], size: Size) -> Markup:
    head = (f'<svg class="chart" role="img" viewBox="0 0 {size.width} {height}" width="{size.width}" height="{height}" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-size="{size.text}" '
            'xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(summary)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def _axis(y: int, height: int, left: int, span: int, size: Size, ticks: Sequence[tuple[float, str]]) -> list[str]:
    parts = []
    for fraction, text in ticks:
        x = left + fraction * span
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{y + 6}" x2="{x:.1f}" y2="{height}"/>')
        anchor = "start" if fraction == 0 else "end" if fraction == 1 else "middle"
        parts.append(f'<text class="tick" x="{x:.1f}" y="{y}" text-anchor="{anchor}">{escape(text)}</text>')
    return parts


def interval_chart(chart_id: str, title: str, summary: str, rows: Sequence[dict[str, Any]], value: str, low: str,
                   high: str, elder: bool = False, note: str = "") -> Chart:
    """Each group as a point (its rate) on a line (its 95% interval), on a 0–100% scale.

    Rows flagged ``ranked`` False are drawn hollow with a dashed line: shown, not compared.
    """
    size = Size.for_mode(elder)
    left, span = 8, size.width - 16
    top = size.line + 4
    row_height = 2 * size.line + size.bar + 10
    height = top + row_height * max(1, len(rows))
    body = _axis(size.text, height, left, span, size, [(0, "0%"), (0.5, "50%"), (1, "100%")])
    for index, row in enumerate(rows):
        y = top + index * row_height + size.text
        ranked = row.get("ranked", True)
        detail = percent(row[value]) if row[value] is None else \
            f"{percent(row[value])} ({percent(row[low])}–{percent(row[high])})"
        body.append(f'<text class="row-label" x="{left}" y="{y}">{escape(size.fit(row["label"]))}</text>')
        body.append(f'<text class="row-detail" x="{left}" y="{y + size.line}">'
                    f'{escape(size.fit(detail if ranked else f"{detail} · {note}"))}</text>')
        if row[value] is None:
            continue
        mark_y = y + size.line + size.bar // 2 + 8
        x_low, x_high, x = (left + row[key] * span for key in (low, high, value))
        shape = "" if ranked else " unranked"
        body.append(f'<line class="interval{shape}" x1="{x_low:.1f}" y1="{mark_y}" x2="{x_high:.1f}" y2="{mark_y}"/>')
        body.append(f'<circle class="point{shape}" cx="{x:.1f}" cy="{mark_y}" r="{size.bar // 2 + 1}"/>')
    return Chart(chart_id, title, summary, _svg(chart_id, title, summary, height, body, size))


def bar_chart(chart_id: str, title: str, summary: str, rows: Sequence[dict[str, Any]],
              series: Sequence[tuple[str, str]], elder: bool = False) -> Chart:
    """Each group's figures as bars side by side, on one scale (the largest figure), with their values."""
    size = Size.for_mode(elder)
    left = 8
    span = size.width - left - size.text * 4  # room for the value after the longest bar
    top = size.bar + 10
    row_height = size.line + len(series) * (size.bar + 4) + 6
    height = top + row_height * max(1, len(rows)) + 4
    largest = max([row[field] or 0 for row in rows for field, _label in series] + [1])
    body = [_hatch(chart_id), *_legend(chart_id, series, size)]
    for index, row in enumerate(rows):
        y = top + index * row_height + size.text
        body.append(f'<text class="row-label" x="{left}" y="{y}">{escape(size.fit(row["label"]))}</text>')
        for position, (field, _label) in enumerate(series):
            bar_y = y + 6 + position * (size.bar + 4)
            width = (row[field] or 0) / largest * span
            body.append(f'<rect class="bar {SERIES_CLASSES[position]}"{_fill(chart_id, position)} x="{left}" '
                        f'y="{bar_y}" width="{max(width, 1):.1f}" height="{size.bar}"/>')
            body.append(f'<text class="value" x="{left + width + 6:.1f}" y="{bar_y + size.bar - 1}">'
                        f'{escape(str(row[field] or 0))}</text>')
    return Chart(chart_id, title, summary, _svg(chart_id, title, summary, height, body, size))


def _hatch(chart_id: str) -> str:
    """The third series is hatched, so it differs from the first by more than its colour."""
    return (f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect class="hatch-ground" width="6" height="6"/>'
            '<line class="hatch-line" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>')


def _fill(chart_id: str, position: int) -> str:
    return f' fill="url(#{chart_id}-hatch)"' if position == 2 else ""


def _legend(chart_id: str, series: Sequence[tuple[str, str]], size: Size) -> list[str]:
    parts, x = [], 8
    for position, (_field, label) in enumerate(series):
        parts.append(f'<rect class="bar {SERIES_CLASSES[position]}"{_fill(chart_id, position)} x="{x}" y="2" '
                     f'width="{size.bar}" height="{size.bar}"/>')
        parts.append(f'<text class="legend" x="{x + size.bar + 4}" y="{size.bar}">{escape(label)}</text>')
        x += size.bar + 12 + size.text * (len(label) + 1)
    return parts


def no_data() -> str:
    return _("No figures yet for this selection.")
