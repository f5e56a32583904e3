"""Search of published letters: Chinese substrings of two and three characters, exactly the right letters."""

import pytest

from tests.mailbox import factories
from tests.support import captured_queries

LETTERS = {
    "lift": ("小区电梯故障", "我们楼的电梯经常停运，老人出行不便。", "已通知物业维修。"),
    "bus": ("公交线路调整建议", "希望增加早高峰公交班次。", "已转公交集团研究。"),
    "traffic": ("学校周边交通拥堵", "上学时段学校门口交通拥堵严重。", "将增派警力疏导。"),
    "charging": ("电动车充电难", "小区缺少充电桩，居民私拉电线有隐患。", "已纳入明年建设计划。"),
    "quote": ('关于"100%"退款和_下划线', "商家承诺100%退款但未兑现。", "已转市场监管局。"),
}

QUERIES = [
    ("电梯", {"lift"}),
    ("小区", {"lift", "charging"}),
    ("公交", {"bus"}),
    ("交通", {"traffic"}),
    ("拥堵", {"traffic"}),
    ("充电", {"charging"}),
    ("电梯故", {"lift"}),
    ("充电桩", {"charging"}),
    ("交通拥堵", {"traffic"}),
    ("维修", {"lift"}),  # in the reply
    ("警力", {"traffic"}),
    ("停运 老人", {"lift"}),  # every term must occur
    ("电梯 公交", set()),
    ("的电梯故", set()),  # each two-character piece occurs in the lift letter, the four together do not
    ("100%", {"quote"}),
    ("%", {"quote"}),
    ("_", {"quote"}),
    ("地铁", set()),
    ("未公开", set()),  # only in an unpublished letter
]


@pytest.fixture
async def letters(cast):
    numbers = {}
    for key, (subject, body, reply) in LETTERS.items():
        numbers[key] = await factories.published_letter(cast, subject=subject, body=body, reply=reply)
    await factories.letter(subject="未公开的电梯来信", body="未公开内容：电梯、公交、交通。")  # never published
    return numbers


async def test_substrings_find_exactly_the_letters_that_contain_them(client, letters):
    by_number = {number: key for key, number in letters.items()}
    for query, expected in QUERIES:
        response = await client.get("/api/v1/letters", params={"q": query, "page_size": 100})
        assert response.status_code == 200
        found = {by_number[item["tracking_number"]] for item in response.json()["items"]}
        assert (query, found) == (query, expected)
        assert response.json()["total"] == len(expected)


async def test_filters_by_category_department_and_month(client, cast):
    first = await factories.published_letter(cast, department="fgw", category="complaint")
    second = await factories.published_letter(cast, department="zjj", category="suggestion")
    by_department = (await client.get("/api/v1/letters", params={"department": "zjj"})).json()
    assert [item["tracking_number"] for item in by_department["items"]] == [second]
    by_category = (await client.get("/api/v1/letters", params={"category": "complaint"})).json()
    assert [item["tracking_number"] for item in by_category["items"]] == [first]
    month = first[:4] + "-" + (await client.get(f"/api/v1/letters/{first}")).json()["received_at"][5:7]
    assert (await client.get("/api/v1/letters", params={"month": month})).json()["total"] == 2
    assert (await client.get("/api/v1/letters", params={"month": "2001-01"})).json()["total"] == 0
    assert (await client.get("/api/v1/letters", params={"month": "January"})).status_code == 400
    assert (await client.get("/api/v1/letters", params={"category": "gossip"})).status_code == 400


async def test_suggestions_while_typing_a_subject(client, letters):
    response = await client.get("/api/v1/letters/suggestions", params={"subject": "我们小区的电梯总是故障"})
    assert response.status_code == 200
    found = {item["tracking_number"] for item in response.json()["items"]}
    assert letters["lift"] in found and letters["bus"] not in found


async def test_a_page_stays_full_when_filters_reject_the_newest_matches(client, cast, monkeypatch):
    """SQLite reads the term's index newest first in growing batches and looks the letters up with the
    filters: a page is filled from older batches when the newest matches are of another department."""
    wanted = [await factories.published_letter(cast, department="fgw", subject=f"电梯维修{index}") for index in range(3)]
    for index in range(7):
        await factories.published_letter(cast, department="zjj", subject=f"电梯加装{index}")
    await factories.published_letter(cast, department="fgw", subject="公交线路")  # the department, not the term
    newest_first = wanted[::-1]
    pages = [(await client.get("/api/v1/letters", params={"q": "电梯", "department": "fgw", "page_size": 2,
                                                         "page": page})).json() for page in (1, 2, 3)]
    assert [[item["tracking_number"] for item in page["items"]] for page in pages] == [
        newest_first[:2], newest_first[2:], []]
    assert [page["total"] for page in pages] == [3, 3, 3]
    by_term = (await client.get("/api/v1/letters", params={"q": "电梯 维修1", "page_size": 2})).json()
    assert ([item["tracking_number"] for item in by_term["items"]], by_term["total"]) == ([wanted[1]], 1)
    # A filter rejecting more than SCAN_LIMIT index rows leaves the search to SQLite's own plan: same answer.
    monkeypatch.setattr("mailbox.search.SCAN_LIMIT", 2)
    monkeypatch.setattr("mailbox.search.MAX_BATCH", 1)
    again = (await client.get("/api/v1/letters", params={"q": "电梯", "department": "fgw", "page_size": 2})).json()
    assert [item["tracking_number"] for item in again["items"]] == newest_first[:2]


async def test_terms_of_two_and_three_characters_together(client, cast):
    """A two-character term (bigram table) with a longer one (trigram table): the letters with both, newest
    first; the longer term's two-character words in a row across punctuation are not the term."""
    both = [await factories.published_letter(cast, subject=f"电梯旁停车位不足{index}") for index in range(3)]
    await factories.published_letter(cast, subject="电梯旁停车，车位不足")  # 停车 车位, but not 停车位
    await factories.published_letter(cast, subject="电梯故障")
    await factories.published_letter(cast, subject="停车位不足")
    for query in ("电梯 停车位", "停车位 电梯", "电梯 停车位 不足"):
        found = (await client.get("/api/v1/letters", params={"q": query})).json()
        assert ([item["tracking_number"] for item in found["items"]], found["total"]) == (both[::-1], 3), query
    one = (await client.get("/api/v1/letters", params={"q": "电梯 停车位", "page_size": 1, "page": 2})).json()
    assert [item["tracking_number"] for item in one["items"]] == [both[1]]
    assert (await client.get("/api/v1/letters", params={"q": "电梯 车位不"})).json()["total"] == 4
    assert (await client.get("/api/v1/letters", params={"q": "故障 停车位"})).json()["total"] == 0


async def test_suggestions_come_most_recently_published_first(client, cast, monkeypatch):
    """Hints are ordered by publication, which need not follow receipt: an old letter published last comes
    first, also when it is older than the newest matches read from the index (HINT_WINDOW)."""
    from datetime import timedelta

    from engagement import clock
    from mailbox.tables import Letter

    monkeypatch.setattr("mailbox.search.HINT_WINDOW", 1)  # the newest 3 matches of each table first
    numbers = [await factories.published_letter(cast, subject=f"路灯不亮{index}") for index in range(6)]
    numbers.append(await factories.published_letter(cast, subject="小区电梯"))  # no common piece
    base = clock.now() - timedelta(days=30)
    days = {numbers[0]: 9, numbers[1]: 1, numbers[2]: 7, numbers[3]: 3, numbers[4]: 2, numbers[5]: 4, numbers[6]: 10}
    for number, day in days.items():
        await Letter.update({Letter.published_at: base + timedelta(days=day)}).where(Letter.tracking_number == number)
    response = await client.get("/api/v1/letters/suggestions", params={"subject": "路灯不亮了"})
    found = [item["tracking_number"] for item in response.json()["items"]]
    assert found == [numbers[0], numbers[2], numbers[5], numbers[3], numbers[4]]
    response = await client.get("/api/v1/letters/suggestions", params={"subject": "路灯不 电梯"})  # both tables
    assert [item["tracking_number"] for item in response.json()["items"]] == [
        numbers[6], numbers[0], numbers[2], numbers[5], numbers[3]]


async def test_several_terms_stay_exact_where_words_meet_across_punctuation(client, cast):
    # 停车 and 车位 are neighbouring two-character words of the first letter (the comma is skipped), yet 停车位 is
    # not in its text: an index of words finds it, the search must not return it.
    near = await factories.published_letter(cast, subject="停车，车位紧张", body="地库的电梯常坏。", reply="已转物业。")
    both = await factories.published_letter(cast, subject="停车位不足", body="地库的电梯常坏。", reply="已转物业。")
    found = (await client.get("/api/v1/letters", params={"q": "停车位 电梯"})).json()
    assert ([item["tracking_number"] for item in found["items"]], found["total"]) == ([both], 1)
    found = (await client.get("/api/v1/letters", params={"q": "车位 电梯"})).json()
    assert {item["tracking_number"] for item in found["items"]} == {near, both}
    assert (await client.get("/api/v1/letters", params={"q": "停车位 公交"})).json()["total"] == 0


async def test_a_filtered_search_estimates_its_total_among_the_letters_the_filters_allow(client, cast, monkeypatch):
    """Above EXACT_COUNT_BELOW matches the total is estimated from how densely the page's matches lie among
    the newest letters; with a month, among that month's letters (a stretch of ids), not among all."""
    from datetime import datetime

    import time_machine

    for month, count in (("2025-03", 4), ("2025-05", 8)):
        with time_machine.travel(datetime.fromisoformat(f"{month}-10T10:00:00+08:00"), tick=True):
            for index in range(count):
                await factories.published_letter(cast, subject=f"电梯维修{month}-{index}",
                                                 category="complaint" if index % 2 else "suggestion")
    monkeypatch.setattr("mailbox.search.EXACT_COUNT_BELOW", 1)  # estimate from two matches on

    async def total(**params) -> int:
        answer = (await client.get("/api/v1/letters", params={"q": "电梯", "page_size": 2, **params})).json()
        assert len(answer["items"]) == 2
        return answer["total"]

    with captured_queries() as statements:
        assert await total() == 12
        assert await total(month="2025-03") == 4  # among all letters, the same two matches would say 2
        assert await total(category="complaint") == 7  # 2 matches in ids 10-12 of complaints in ids 2-12: 7.3
    # Estimated, not counted: at 1,000,000 letters counting every match of a filtered search took 1.5-6 s.
    assert not [statement for statement in statements if 'COUNT(*) AS "count"' in statement]


async def test_pages_beyond_the_search_window_are_empty_and_keep_the_total(client, cast, monkeypatch):
    """Pages reach the newest SEARCH_WINDOW matches of a search; deeper ones (and any page after the last)
    answer no letters with the same total as the first page, without reading every match."""
    for index in range(3):
        await factories.published_letter(cast, subject=f"电梯维修{index}")
    monkeypatch.setattr("mailbox.services.publication.SEARCH_WINDOW", 2)

    async def page(number: int, **params) -> tuple[int, int]:
        answer = (await client.get("/api/v1/letters", params={"q": "电梯", "page_size": 2, "page": number,
                                                             **params})).json()
        return len(answer["items"]), answer["total"]

    assert await page(1) == (2, 3)
    assert await page(2) == (0, 3)  # letters 3 and beyond are outside the window
    assert await page(50, department="fgw") == (0, 3)
    monkeypatch.setattr("mailbox.services.publication.SEARCH_WINDOW", 10_000)
    assert await page(2) == (1, 3)
    assert await page(7) == (0, 3)  # after the last page


async def test_a_deeper_page_of_several_common_terms_is_the_right_one(client, cast, monkeypatch):
    """PostgreSQL looks through the newest NEWEST_WINDOW letters first, then through a wider stretch sized by
    how densely the terms occur there, before intersecting the terms' indexes: the same letters either way."""
    numbers = [await factories.published_letter(cast, subject=f"电梯加装补贴{index}") for index in range(8)]
    await factories.published_letter(cast, subject="公交线路")  # not a match, the newest letter
    monkeypatch.setattr("mailbox.search.NEWEST_WINDOW", 3)
    newest_first = numbers[::-1]
    for page in (1, 2, 3, 4):
        answer = (await client.get("/api/v1/letters", params={"q": "电梯 补贴", "page_size": 2, "page": page})).json()
        assert [item["tracking_number"] for item in answer["items"]] == newest_first[(page - 1) * 2:page * 2]
        assert answer["total"] == 8
