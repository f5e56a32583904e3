"""What the statistics pages show: each section's chart, its table and its written summary.

Built from the API's answers as plain dicts, so the live page and a frozen report are drawn by the
same code. Comparisons between departments are points with their 95% Wilson intervals, ranked
groups first (by rate), then the groups too small to rank, never a bare league table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analytics.charts import Chart, bar_chart, interval_chart, no_data, percent
from analytics.definitions import DATASETS, LABELS
from analytics.stats import MIN_RANKED, wilson
from engagement.i18n import N_, _


@dataclass(frozen=True)
class Table:
    caption: str
    headings: list[str]
    rows: list[list[str]]  # the first cell of each row is its header (the group)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    chart: Chart
    table: Table
    dataset: str
    by: str


def heading(field: str) -> str:
    """A figure's column heading, translated."""
    return _(LABELS.get(field, field))


def _series(field: str) -> tuple[str, str]:
    return field, heading(field)


def _cell(field: str, value: Any) -> str:
    if value is None:
        return "—"
    if field.endswith("_rate") or field in ("ci_low", "ci_high"):
        return percent(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def table(title: str, rows: Sequence[dict[str, Any]], fields: Sequence[str], total: dict[str, Any] | None) -> Table:
    body = [[row["label"], *(_cell(field, row.get(field)) for field in fields)] for row in rows]
    if total is not None:
        body.append([_("Total"), *(_cell(field, total.get(field)) for field in fields)])
    return Table(caption=_("The figures of the chart “%(title)s”") % {"title": title},
                 headings=[heading("label"), *(heading(field) for field in fields)], rows=body)


def _compared(rows: Sequence[dict[str, Any]], value: str) -> list[dict[str, Any]]:
    """Groups with a rate: ranked ones by rate (highest first), then the ones too small to rank."""
    rated = [row for row in rows if row[value] is not None]
    return sorted(rated, key=lambda row: (not row["ranked"], -row[value]))


# ---------- adoption ----------

def adoption_by_department(data: dict[str, Any], elder: bool) -> Section:
    title = _("Adoption rate by department")
    rows = _compared(data["items"], "adoption_rate")
    chart = interval_chart("chart-adoption-department", title, _adoption_summary(rows), rows, "adoption_rate",
                           "ci_low", "ci_high", elder, note=_("fewer than 10 decided, not ranked"))
    fields = ["opinions", "decided", "adopted", "adoption_rate", "ci_low", "ci_high", "ranked"]
    return Section("adoption-department", title, chart, table(title, data["items"], fields, data["total"]),
                   "adoption", "department")


def _adoption_summary(rows: list[dict[str, Any]]) -> str:
    ranked = [row for row in rows if row["ranked"]]
    small = len(rows) - len(ranked)
    if not rows:
        return no_data()
    if not ranked:
        text = _("No department has 10 decided opinions yet, so none is ranked.")
    else:
        best, worst = ranked[0], ranked[-1]
        text = _("%(count)d departments have at least 10 decided opinions. The highest adoption rate is %(best)s "
                 "with %(rate)s (95%% interval %(low)s to %(high)s); the lowest is %(worst)s with %(worst_rate)s. "
                 "Where two intervals overlap, the difference may be chance.") % {
            "count": len(ranked), "best": best["label"], "rate": percent(best["adoption_rate"]),
            "low": percent(best["ci_low"]), "high": percent(best["ci_high"]), "worst": worst["label"],
            "worst_rate": percent(worst["adoption_rate"])}
    if small:
        text += " " + _("%(count)d departments with fewer than 10 decided opinions are shown but not ranked.") % {
            "count": small}
    return text


def adoption_by_month(data: dict[str, Any], elder: bool) -> Section:
    title = _("Opinions and decisions by month")
    items, total = data["items"], data["total"]
    series = [_series("opinions"), _series("decided"), _series("adopted")]
    summary = no_data() if not items else _(
        "From %(first)s to %(last)s, %(opinions)d opinions were received and %(decided)d were decided, of which "
        "%(adopted)d were adopted in full or in part (%(rate)s).") % {
        "first": items[0]["label"], "last": items[-1]["label"], "opinions": total["opinions"],
        "decided": total["decided"], "adopted": total["adopted"], "rate": percent(total["adoption_rate"])}
    chart = bar_chart("chart-adoption-month", title, summary, items, series, elder)
    fields = ["opinions", "decided", "adopted", "partially_adopted", "not_adopted", "adoption_rate"]
    return Section("adoption-month", title, chart, table(title, items, fields, total), "adoption", "month")


# ---------- mailbox ----------

def _with_on_time_interval(row: dict[str, Any]) -> dict[str, Any]:
    known = row["replied"] + row["overdue"]
    low, high = wilson(row["on_time"], known)
    return {**row, "ci_low": low, "ci_high": high, "ranked": known >= MIN_RANKED}


def mailbox_by_department(data: dict[str, Any], elder: bool) -> Section:
    title = _("Replies on time by department")
    rows = _compared([_with_on_time_interval(row) for row in data["items"]], "on_time_rate")
    ranked = [row for row in rows if row["ranked"]]
    if not rows:
        summary = no_data()
    elif not ranked:
        summary = _("No department has 10 letters with a known outcome yet, so none is ranked.")
    else:
        summary = _("The highest on-time rate is %(best)s with %(rate)s, the lowest %(worst)s with %(worst_rate)s; "
                    "a letter still unanswered after its due date counts as late.") % {
            "best": ranked[0]["label"], "rate": percent(ranked[0]["on_time_rate"]), "worst": ranked[-1]["label"],
            "worst_rate": percent(ranked[-1]["on_time_rate"])}
    chart = interval_chart("chart-mailbox-department", title, summary, rows, "on_time_rate", "ci_low", "ci_high",
                           elder, note=_("fewer than 10 letters, not ranked"))
    fields = ["letters", "replied", "reply_rate", "on_time", "overdue", "on_time_rate", "rated", "satisfaction",
              "median_reply_working_days"]
    return Section("mailbox-department", title, chart, table(title, data["items"], fields, data["total"]),
                   "mailbox", "department")


def mailbox_by_month(data: dict[str, Any], elder: bool) -> Section:
    title = _("Letters and replies by month")
    items, total = data["items"], data["total"]
    series = [_series("letters"), _series("replied"), _series("on_time")]
    summary = no_data() if not items else _(
        "From %(first)s to %(last)s, %(letters)d letters were received and %(replied)d answered, %(on_time)d of "
        "them by the due date.") % {"first": items[0]["label"], "last": items[-1]["label"],
                                    "letters": total["letters"], "replied": total["replied"],
                                    "on_time": total["on_time"]}
    chart = bar_chart("chart-mailbox-month", title, summary, items, series, elder)
    fields = ["letters", "replied", "reply_rate", "on_time", "overdue", "on_time_rate", "median_reply_working_days"]
    return Section("mailbox-month", title, chart, table(title, items, fields, total), "mailbox", "month")


# ---------- events ----------

def events_by_kind(data: dict[str, Any], elder: bool) -> Section:
    title = _("Questions in live sessions")
    total = data["total"]
    series = [_series("questions_asked"), _series("questions_approved"),
              _series("questions_answered")]
    summary = _("%(sessions)d live sessions; citizens asked %(asked)d questions, %(answered)d of which were "
                "answered.") % {"sessions": total["sessions"], "asked": total["questions_asked"],
                                "answered": total["questions_answered"]}
    chart = bar_chart("chart-events-kind", title, summary, data["items"], series, elder)
    return Section("events-kind", title, chart, table(title, data["items"], list(DATASETS["events"]), total),
                   "events", "kind")


# ---------- rectifications ----------

def rectifications_by_department(data: dict[str, Any], elder: bool) -> Section:
    title = _("Rectifications on time by department")
    rows = _compared(data["items"], "on_time_rate")
    ranked = [row for row in rows if row["ranked"]]
    total = data["total"]
    if not data["items"]:
        summary = no_data()
    else:
        summary = _("%(count)d rectifications were committed to on TV questioning programmes: %(completed)d completed, "
                    "%(on_time)d of them on time, and %(overdue)d overdue (open past the due date or completed "
                    "late).") % {"count": total["rectifications"], "completed": total["completed"],
                                 "on_time": total["on_time"], "overdue": total["overdue"]}
        if not ranked:
            summary += " " + _("No department has 10 rectifications with a known outcome yet, so none is ranked.")
    chart = interval_chart("chart-rectifications-department", title, summary, rows, "on_time_rate", "ci_low",
                           "ci_high", elder, note=_("fewer than 10 with a known outcome, not ranked"))
    fields = ["rectifications", "completed", "on_time", "overdue", "open", "on_time_rate", "confirmations_solved",
              "confirmations_not_solved"]
    return Section("rectifications-department", title, chart, table(title, data["items"], fields, total),
                   "rectifications", "department")


BUILDERS = {("adoption", "department"): adoption_by_department, ("adoption", "month"): adoption_by_month,
            ("mailbox", "department"): mailbox_by_department, ("mailbox", "month"): mailbox_by_month,
            ("rectifications", "department"): rectifications_by_department,
            ("events", "kind"): events_by_kind}


def sections(figures: dict[str, dict[str, dict[str, Any]]], elder: bool) -> list[Section]:
    """The charted sections of ``{dataset: {by: data}}``, in reading order."""
    return [builder(figures[dataset][by], elder) for (dataset, by), builder in BUILDERS.items()
            if by in figures.get(dataset, {})]


def headline(figures: dict[str, dict[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    """(label, value) pairs for the figures at the top of the page."""
    adoption = figures["adoption"]["department"]["total"]
    mailbox = figures["mailbox"]["department"]["total"]
    pairs = [
        (_("Opinions received"), str(adoption["opinions"])),
        (_("Opinions adopted"), str(adoption["adopted"])),
        (_("Adoption rate"), percent(adoption["adoption_rate"])),
        (_("Letters received"), str(mailbox["letters"])),
        (_("Reply rate"), percent(mailbox["reply_rate"])),
        (_("On-time rate"), percent(mailbox["on_time_rate"])),
        (_("Satisfaction (1-5)"), "—" if mailbox["satisfaction"] is None else str(mailbox["satisfaction"])),
    ]
    if "events" in figures:
        pairs.append((_("Questions answered live"), str(figures["events"]["kind"]["total"]["questions_answered"])))
    return pairs


DATASET_TITLES = {"adoption": N_("Adoption of opinions"), "mailbox": N_("Mayor's mailbox"), "events": N_("Live sessions"),
                  "rectifications": N_("Rectifications after TV questioning")}


def definitions(frozen: dict[str, dict[str, str]] | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per dataset, (heading, definition) of every figure: from the code, or a report's frozen texts."""
    if frozen is None:
        frozen = {dataset: {field: _(text) for field, text in texts.items()} for dataset, texts in DATASETS.items()}
    return [(_(DATASET_TITLES.get(dataset, dataset)),
             [(heading(field), text) for field, text in texts.items() if field not in ("key", "label")])
            for dataset, texts in frozen.items()]
