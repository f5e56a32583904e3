"""Adoption figures on a known data set: by department, consultation, topic and month; periods; ranking.

The data set (``known``): consultation A of fgw in a topic has 4 opinions, decided 2 adopted, 1
partially adopted, 1 not adopted (rate 0.75, Wilson 0.3006–0.9544); consultation B of zjj, no
topic, has 2 opinions, 1 not adopted and 1 undecided. All six were submitted in February 2026
(Beijing); A's decisions were recorded in March and April, B's in April.
"""

from __future__ import annotations

import pytest

from tests.analytics import factories
from tests.analytics.factories import decide
from tests.support import assert_max_queries

FGW_ROW = {"opinions": 4, "decided": 4, "adopted": 3, "partially_adopted": 1, "not_adopted": 1,
           "adoption_rate": 0.75, "ci_low": 0.3006, "ci_high": 0.9544, "ranked": False}
ZJJ_ROW = {"opinions": 2, "decided": 1, "adopted": 0, "partially_adopted": 0, "not_adopted": 1,
           "adoption_rate": 0.0, "ci_low": 0.0, "ci_high": 0.7935, "ranked": False}
TOTAL = {"opinions": 6, "decided": 5, "adopted": 3, "partially_adopted": 1, "not_adopted": 2,
         "adoption_rate": 0.6, "ci_low": 0.2307, "ci_high": 0.8824, "ranked": False}


def figures(row: dict) -> dict:
    return {name: value for name, value in row.items() if name not in ("key", "label")}


async def adoption(client, **params) -> dict:
    response = await client.get("/api/v1/statistics/adoption", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_by_department_exact_figures(client, known):
    data = await adoption(client, by="department")
    assert data["basis"] == "current"
    assert [(item["key"], item["label"]) for item in data["items"]] == [("fgw", "市发展和改革委员会"),
                                                                        ("zjj", "市住房和城乡建设局")]
    assert figures(data["items"][0]) == FGW_ROW
    assert figures(data["items"][1]) == ZJJ_ROW
    assert figures(data["total"]) == TOTAL and data["total"]["key"] == "total"


async def test_by_consultation_and_topic(client, known):
    by_consultation = await adoption(client, by="consultation")
    assert [item["key"] for item in by_consultation["items"]] == [str(known.a["id"]), str(known.b["id"])]
    assert by_consultation["items"][0]["label"] == "城市更新三年行动方案"
    assert figures(by_consultation["items"][0]) == FGW_ROW and figures(by_consultation["items"][1]) == ZJJ_ROW

    by_topic = await adoption(client, by="topic")
    assert [(item["key"], item["label"]) for item in by_topic["items"]] == [
        (str(known.topic["id"]), "十五五规划系列"), ("none", "无专题")]
    assert figures(by_topic["items"][0]) == FGW_ROW and figures(by_topic["items"][1]) == ZJJ_ROW


async def test_by_month_counts_decisions_in_the_beijing_month_they_were_recorded(client, known):
    data = await adoption(client, by="month")
    assert data["basis"] == "history"
    months = {item["key"]: figures(item) for item in data["items"]}
    assert list(months) == ["2026-02", "2026-03", "2026-04"]
    assert months["2026-02"]["opinions"] == 6 and months["2026-02"]["decided"] == 0
    assert months["2026-02"]["adoption_rate"] is None and months["2026-02"]["ci_low"] is None
    assert (months["2026-03"]["opinions"], months["2026-03"]["decided"], months["2026-03"]["adopted"]) == (0, 2, 2)
    april = months["2026-04"]
    assert (april["decided"], april["adopted"], april["partially_adopted"], april["not_adopted"]) == (3, 1, 1, 2)
    assert figures(data["total"]) == TOTAL


async def test_a_changed_decision_leaves_its_month_and_changes_the_current_figures(client, known):
    march_before = (await adoption(client, by="month"))["items"][1]
    await decide(known.admin, known.a_ops[0], "not_adopted")  # today, long after March

    data = await adoption(client, by="month")
    assert data["items"][1] == march_before  # March: 2 decided, 2 adopted, as recorded in March
    current = (await adoption(client, by="department"))["items"][0]
    assert (current["adopted"], current["not_adopted"], current["adoption_rate"]) == (2, 2, 0.5)
    march = await adoption(client, by="department", period_start="2026-03-01", period_end="2026-03-31")
    assert march["basis"] == "history"
    assert [(item["key"], item["decided"], item["adopted"]) for item in march["items"]] == [("fgw", 2, 2)]


async def test_a_period_counts_first_decisions_in_it_with_the_decision_at_its_end(client, known):
    data = await adoption(client, by="department", period_start="2026-04-01", period_end="2026-04-30")
    by_key = {item["key"]: item for item in data["items"]}
    assert by_key["fgw"]["opinions"] == 0  # submitted in February
    assert (by_key["fgw"]["decided"], by_key["fgw"]["partially_adopted"], by_key["fgw"]["not_adopted"]) == (2, 1, 1)
    assert (by_key["zjj"]["decided"], by_key["zjj"]["not_adopted"]) == (1, 1)
    only_fgw = await adoption(client, by="consultation", department="fgw")
    assert [item["key"] for item in only_fgw["items"]] == [str(known.a["id"])]
    assert only_fgw["scope"]["department"] == "fgw"


async def test_groups_under_ten_decided_are_shown_but_not_ranked(client, cast, make_consultation):
    admin = await factories.staff(cast.admin)
    big = await make_consultation("fgw")
    small = await make_consultation("zjj")
    for index in range(10):
        await decide(admin, await factories.opinion(big["id"]), "adopted" if index < 7 else "not_adopted")
    await decide(admin, await factories.opinion(small["id"]), "adopted")
    items = {item["key"]: item for item in (await adoption(client, by="department"))["items"]}
    assert items["fgw"]["ranked"] is True and items["fgw"]["adoption_rate"] == 0.7
    assert items["zjj"]["ranked"] is False and items["zjj"]["adoption_rate"] == 1.0


async def test_nothing_decided_is_null_not_zero(client, cast, make_consultation):
    consultation = await make_consultation("fgw")
    await factories.opinion(consultation["id"])
    data = await adoption(client, by="consultation")
    assert data["items"][0]["opinions"] == 1 and data["items"][0]["decided"] == 0
    assert data["items"][0]["adoption_rate"] is None
    assert (data["items"][0]["ci_low"], data["items"][0]["ci_high"]) == (None, None)
    empty = await adoption(client, by="topic", department="zjj")
    assert empty["items"] == [] and empty["total"]["opinions"] == 0


@pytest.mark.parametrize("path, params", [
    ("/api/v1/statistics/adoption", {"by": "weekday"}),
    ("/api/v1/statistics/mailbox", {"by": "topic"}),
    ("/api/v1/statistics/export", {"dataset": "adoption", "by": "weekday"}),
    ("/api/v1/statistics/export", {"dataset": "people"}),
    ("/api/v1/statistics/adoption", {"period_start": "2026-04-01", "period_end": "2026-03-01"}),
    ("/api/v1/statistics/adoption", {"department": "no-such-department"}),
    ("/api/v1/statistics/adoption", {"period_start": "yesterday"}),
])
async def test_an_unknown_grouping_or_bad_filter_is_a_400(client, cast, path, params):
    response = await client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


async def test_the_query_count_does_not_grow_with_the_data(client, known, make_consultation):
    # this first request also folds the history into the opinion facts (8; on PostgreSQL 11: the lock,
    # JIT off and ANALYZE)
    with assert_max_queries(15):
        await adoption(client, by="department")
    for by in ("department", "topic", "consultation", "month"):
        with assert_max_queries(4):
            await adoption(client, by=by)
    with assert_max_queries(5):
        await adoption(client, by="department", period_start="2026-01-01", department="fgw")
