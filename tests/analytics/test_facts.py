"""The opinion facts (analytics/facts.py) give exactly the figures of the history, and catch up incrementally.

The known data set of test_adoption.py, plus decisions changed within their month and in a later
month, a rejected opinion and an opinion decided on the last evening of a month: every grouping and
filter, from the facts and from the history folded on the spot, must agree.
"""

from __future__ import annotations

import asyncio
from datetime import date

import msgspec
import pytest

from analytics.adoption import adoption_tables
from analytics.filters import resolve
from analytics.schemas import ADOPTION_GROUPINGS
from consultations import opinions
from engagement.jobs import REGISTRY, run_eagerly
from tests.analytics import factories
from tests.analytics.factories import at, decide
from tests.analytics.test_adoption import adoption
from tests.support import captured_queries

FILTERS = [
    (None, None, None), (date(2026, 3, 1), date(2026, 3, 31), None), (date(2026, 3, 1), date(2026, 3, 10), None),
    (date(2026, 3, 11), date(2026, 3, 25), "fgw"), (None, date(2026, 3, 15), None), (date(2026, 4, 1), None, "zjj"),
    (date(2026, 1, 1), date(2026, 12, 31), None), (None, None, "fgw"), (date(2026, 2, 1), date(2026, 4, 15), "fgw"),
]


@pytest.fixture
async def changed(known, cast, make_consultation):
    """Decisions corrected within their month, in a later month; held and rejected opinions."""
    with at("2026-03-02T10:00:00+08:00"):
        c = await make_consultation("fgw", title="老旧小区改造")
        ops = [await factories.opinion(c["id"]) for _ in range(5)]
    with at("2026-03-05T10:00:00+08:00"):
        await decide(known.admin, ops[0], "adopted")
        await decide(known.admin, ops[1], "not_adopted")
    with at("2026-03-20T10:00:00+08:00"):  # corrected in the same month: March settles on these
        await decide(known.admin, ops[0], "not_adopted")
        await decide(known.admin, ops[1], "partially_adopted")
        await decide(known.admin, ops[1], "adopted")
    with at("2026-03-31T23:30:00+08:00"):  # the last evening of March in Beijing, 15:30 UTC
        await decide(known.admin, ops[2], "partially_adopted")
    with at("2026-04-03T10:00:00+08:00"):  # a later month: March keeps its figure
        await decide(known.admin, ops[2], "not_adopted")
    await opinions.moderate_opinion(known.admin, ops[3], "reject")
    return ops


async def both_paths(period_start, period_end, department) -> tuple[dict, dict]:
    filters = await resolve(period_start, period_end, department)
    computed = [msgspec.to_builtins(await adoption_tables(list(ADOPTION_GROUPINGS), filters, from_facts=way))
                for way in (True, False)]
    for tables in computed:
        for table in tables.values():
            table.pop("scope")
    return computed[0], computed[1]


@pytest.mark.parametrize("period_start, period_end, department", FILTERS)
async def test_the_facts_give_the_figures_of_the_history(client, changed, period_start, period_end, department):
    from_facts, from_history = await both_paths(period_start, period_end, department)
    assert from_facts == from_history


async def test_a_period_ending_between_a_decision_and_its_correction_takes_the_first(client, changed):
    early = await adoption(client, by="consultation", period_start="2026-03-01", period_end="2026-03-10")
    row = early["items"][-1]
    assert (row["decided"], row["adopted"], row["not_adopted"]) == (2, 1, 1)  # as on 10 March
    whole = await adoption(client, by="consultation", period_start="2026-03-01", period_end="2026-03-31")
    row = whole["items"][-1]
    assert (row["decided"], row["adopted"], row["partially_adopted"], row["not_adopted"]) == (3, 2, 1, 1)


async def test_a_decision_after_the_job_shows_in_the_next_filtered_request(client, changed, known):
    await run_eagerly(REGISTRY["analytics.refresh_statistics"], ())
    april = {"by": "department", "period_start": "2026-04-01", "department": "zjj"}
    before = (await adoption(client, **april))["total"]
    await decide(known.admin, known.b_ops[1], "adopted")

    with captured_queries() as statements:
        after = (await adoption(client, **april))["total"]
    assert (after["decided"], after["adopted"]) == (before["decided"] + 1, before["adopted"] + 1)
    folded = [sql for sql in statements if "statistics_opinion_fact" in sql and sql.startswith("DELETE")]
    assert folded and all("WHERE opinion IN" in sql for sql in folded)  # incremental, not a rebuild
    assert not any("GROUP BY target_id" in sql and "INSERT" not in sql for sql in statements)  # no history fold
    again = await both_paths(date(2026, 4, 1), None, "zjj")
    assert again[0] == again[1]


async def test_concurrent_requests_catch_up_once_and_agree(client, changed, known):
    await run_eagerly(REGISTRY["analytics.refresh_statistics"], ())
    await decide(known.admin, known.b_ops[1], "not_adopted")
    params = {"by": "consultation", "period_start": "2026-01-01"}
    answers = await asyncio.gather(*(client.get("/api/v1/statistics/adoption", params=params) for _ in range(4)))
    assert {response.status_code for response in answers} == {200}
    totals = [response.json()["total"] for response in answers]
    assert all(total == totals[0] for total in totals) and totals[0]["not_adopted"] >= 3
    from_facts, from_history = await both_paths(date(2026, 1, 1), None, None)
    assert from_facts == from_history
