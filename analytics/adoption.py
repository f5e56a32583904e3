"""Adoption of opinions per department, topic, consultation or month (DESIGN §4, docs/analytics.md).

Two bases, one shape:

- **current** (no period, by department / topic / consultation): each published opinion with the
  decision it has today, exactly as the consultations module counts it on its pages.
- **history** (by month, or any period): decisions from the core's ``workflow_event``. An opinion
  counts as decided in the period in which its *first* decision was recorded, with its *settled*
  decision: the last one recorded in the same Beijing month as the first (and before the period's
  end). A decision changed in a later month therefore never changes a month that has ended; it
  shows in the current figures. Being a property of the opinion, the settled decision makes the
  months of a quarter add up to the quarter, whatever the grouping.

The database does the counting (a handful of rows per consultation come back); plain Python sums
them into groups (a few hundred lines at most, fewer than a pandas pivot table costs to set up:
~25 ms a page for the demo's dozens of lines). The counts come from the opinion facts (analytics/facts.py: the same rules folded per
opinion, one GROUP BY over plain columns) when they are up to date or cheaply brought up to date,
else from the history itself (``_history``, ``_current``): the same figures either way (tested).
A fixed number of queries whatever the number of opinions.
"""

from __future__ import annotations

from typing import Any

from analytics import facts, labels
from analytics.filters import Filters, department_sql, local_month_sql, period_sql
from analytics.schemas import AdoptionRow, AdoptionStatistics
from analytics.stats import MIN_RANKED, rate, wilson
from consultations.tables import DECIDED, Decision, Moderation, Opinion
from consultations.workflows import OPINION_DECISION
from engagement.i18n import _

KEYS = ("department", "topic", "consultation")
Lines = list[dict[str, Any]]  # counted rows: the group ids, a month or decision, and n
DECISIONS = [decision.value for decision in DECIDED]


async def adoption(by: str, filters: Filters) -> AdoptionStatistics:
    return (await adoption_tables([by], filters))[by]


async def adoption_tables(groupings: list[str], filters: Filters,
                          from_facts: bool | None = None) -> dict[str, AdoptionStatistics]:
    """Several groupings from the same counts: one fetch per basis, however many groupings.

    ``from_facts``: None reads the opinion facts if they are (or cheaply become) up to date; False
    folds the history on the spot; True insists on the facts, brought up to date whatever it takes."""
    fetched: dict[bool, tuple[Lines, Lines]] = {}
    if from_facts is not False:
        from_facts = await facts.ready(None if from_facts else facts.CATCH_UP_LIMIT)
    tables = {}
    for by in groupings:
        history = by == "month" or filters.has_period
        if history not in fetched:
            fetched[history] = await _fetch(history, from_facts, filters)
        opinions, decisions = fetched[history]
        items = await _items(by, opinions, decisions, filters)
        tables[by] = AdoptionStatistics(by=by, basis="history" if history else "current", items=items,
                                        total=_row("total", _("Total"), *_sums(opinions, decisions)),
                                        scope=labels.scope(filters))
    return tables


async def _fetch(history: bool, from_facts: bool, filters: Filters) -> tuple[Lines, Lines]:
    """The counts of one basis: from the opinion facts when they are up to date, else from the history."""
    if not from_facts:
        return await (_history(filters) if history else _current(filters))
    if history:
        return (_frame(await facts.opinions_by_month(filters), [*_COLUMNS, "month"]),
                _frame(await facts.first_decisions(filters), [*_COLUMNS, "month", "decision"]))
    return _split(_frame(await facts.current_counts(filters), [*_COLUMNS, "decision"]))


async def _current(filters: Filters) -> tuple[Lines, Lines]:
    return _split(await _current_counts(filters))


def _split(counts: Lines) -> tuple[Lines, Lines]:
    return counts, [line for line in counts if line["decision"] in DECISIONS]


async def _history(filters: Filters) -> tuple[Lines, Lines]:
    return await _opinions_by_month(filters), await _first_decisions(filters)


# ---------- queries ----------

_FROM = "FROM consultation_opinion o JOIN consultation c ON c.id = o.consultation"
_COLUMNS = ["department", "topic", "consultation"]


async def _current_counts(filters: Filters) -> Lines:
    values: list[Any] = [Moderation.approved.value]
    sql = (f"SELECT c.department AS department, c.topic AS topic, o.consultation AS consultation, "
           f"o.decision AS decision, COUNT(*) AS n {_FROM} WHERE o.moderation = {{}}"
           + department_sql("c.department", filters, values) + " GROUP BY 1, 2, 3, 4")
    return _frame(await Opinion.raw(sql, *values), [*_COLUMNS, "decision"])


async def _opinions_by_month(filters: Filters) -> Lines:
    values: list[Any] = [Moderation.approved.value]
    sql = (f"SELECT c.department AS department, c.topic AS topic, o.consultation AS consultation, "
           f"{local_month_sql('o.created_at')} AS month, COUNT(*) AS n {_FROM} WHERE o.moderation = {{}}"
           + period_sql("o.created_at", filters, values) + department_sql("c.department", filters, values)
           + " GROUP BY 1, 2, 3, 4")
    return _frame(await Opinion.raw(sql, *values), [*_COLUMNS, "month"])


async def _first_decisions(filters: Filters) -> Lines:
    """Per group: opinions first decided in the period, each by its settled decision (module docstring).

    One pass over the decision events gives each opinion its first and last decision; only opinions
    decided again in a later month (few) need a second look for the last decision of the first month.
    """
    transitions = OPINION_DECISION.names()
    names = ", ".join("{}" for _ in transitions)
    period_end = " AND created_at < {}" if filters.end is not None else ""
    values: list[Any] = [OPINION_DECISION.aggregate, *transitions, *([filters.end] if period_end else []),
                         OPINION_DECISION.aggregate, *transitions, *([filters.end] if period_end else [])]
    where = " WHERE 1 = 1"
    if filters.start is not None:
        where += " AND s.first_at >= {}"
        values.append(filters.start)
    where += department_sql("c.department", filters, values)
    month = local_month_sql
    sql = (
        "WITH f AS (SELECT target_id, MIN(created_at) AS first_at, MAX(created_at) AS last_at, MAX(id) AS last_id "
        f"FROM workflow_event WHERE aggregate = {{}} AND transition IN ({names}){period_end} GROUP BY target_id), "
        f"s AS (SELECT target_id, first_at, CASE WHEN {month('last_at')} = {month('first_at')} THEN last_id ELSE "
        f"(SELECT MAX(w.id) FROM workflow_event w WHERE w.aggregate = {{}} AND w.target_id = f.target_id "
        f"AND w.transition IN ({names}){period_end.replace('created_at', 'w.created_at')} "
        f"AND {month('w.created_at')} = {month('f.first_at')}) END AS settled_id FROM f) "
        "SELECT c.department AS department, c.topic AS topic, o.consultation AS consultation, "
        f"{month('s.first_at')} AS month, e.to_state AS decision, COUNT(*) AS n "
        "FROM s JOIN workflow_event e ON e.id = s.settled_id "
        "JOIN consultation_opinion o ON o.id = s.target_id JOIN consultation c ON c.id = o.consultation"
        f"{where} GROUP BY 1, 2, 3, 4, 5"
    )
    return _frame(await Opinion.raw(sql, *values), [*_COLUMNS, "month", "decision"])


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> Lines:
    """The counted rows with their group ids and counts as ints (topic: 0 for none)."""
    ids = [column for column in _COLUMNS if column in columns]
    lines = []
    for row in rows:
        line = {column: row.get(column) for column in columns}
        for column in ids:
            line[column] = labels.NO_ID if line[column] is None else int(line[column])
        line["n"] = 0 if row.get("n") is None else int(row["n"])
        lines.append(line)
    return lines


# ---------- shaping ----------

async def _items(by: str, opinions: Lines, decisions: Lines, filters: Filters) -> list[AdoptionRow]:
    opinion_counts: dict[Any, int] = {}
    for line in opinions:
        opinion_counts[line[by]] = opinion_counts.get(line[by], 0) + line["n"]
    decision_counts: dict[Any, dict[str, int]] = {}
    for line in decisions:
        counts = decision_counts.setdefault(line[by], {})
        counts[line["decision"]] = counts.get(line["decision"], 0) + line["n"]
    keys = list(dict.fromkeys([*sorted(opinion_counts, key=_key_order), *sorted(decision_counts, key=_key_order)]))
    names = await labels.for_groups(by, keys, filters)
    rows = []
    for key in names.order(keys):
        decided = decision_counts.get(key, {})
        counts = {decision: decided.get(decision, 0) for decision in DECISIONS}
        rows.append(_row(names.key(key), names.label(key), opinion_counts.get(key, 0), counts))
    return rows


def _key_order(key: Any) -> tuple[bool, Any]:
    """Groups in ascending order, a missing one last (as pandas' groupby and pivot_table order them)."""
    return key is None, key


def _sums(opinions: Lines, decisions: Lines) -> tuple[int, dict[str, int]]:
    by_decision = dict.fromkeys(DECISIONS, 0)
    for line in decisions:
        if line["decision"] in by_decision:
            by_decision[line["decision"]] += line["n"]
    return sum(line["n"] for line in opinions), by_decision


def _row(key: str, label: str, opinions: int, counts: dict[str, int]) -> AdoptionRow:
    full, partial = counts[Decision.adopted.value], counts[Decision.partially_adopted.value]
    not_adopted = counts[Decision.not_adopted.value]
    adopted, decided = full + partial, full + partial + not_adopted
    low, high = wilson(adopted, decided)
    return AdoptionRow(key=key, label=label, opinions=opinions, decided=decided, adopted=adopted,
                       partially_adopted=partial, not_adopted=not_adopted, adoption_rate=rate(adopted, decided),
                       ci_low=low, ci_high=high, ranked=decided >= MIN_RANKED)
