"""Live-event figures per kind; the kinds whose tables have not landed count 0, not an error."""

from __future__ import annotations

from live_sessions import services_questions
from tests.live_sessions.factories import approve, ask, make_session, staff_of
from tests.support import assert_max_queries


async def test_events_per_kind(client, cast):
    interview = await make_session(cast, status="live")
    await make_session(cast, kind="tv_questioning", title="电视问政：背街小巷整治")
    answered = await ask(cast, interview, content="加装电梯的补贴标准是多少？")
    await approve(cast, answered)
    await services_questions.answer_question(await staff_of(cast.host), answered, "每台补贴20万元。")
    await approve(cast, await ask(cast, interview, content="老小区停车难怎么办？"))
    await ask(cast, interview, content="物业费会涨吗？")

    with assert_max_queries(6):  # one per table (5) and the snapshot look-up
        response = await client.get("/api/v1/statistics/events")
    assert response.status_code == 200, response.text
    data = response.json()
    rows = {item["key"]: item for item in data["items"]}
    assert list(rows) == ["interview", "tv_questioning", "open_meeting"]
    assert rows["interview"]["label"] == "嘉宾访谈"
    assert {name: rows["interview"][name] for name in ("sessions", "questions_asked", "questions_approved",
                                                       "questions_answered")} == {
        "sessions": 1, "questions_asked": 3, "questions_approved": 2, "questions_answered": 1}
    assert rows["tv_questioning"]["sessions"] == 1 and rows["tv_questioning"]["issues_collected"] == 0
    assert all(value == 0 for key, value in rows["open_meeting"].items() if key not in ("key", "label"))
    assert data["total"]["sessions"] == 2 and data["total"]["questions_asked"] == 3


async def test_a_period_filters_events_by_their_time(client, cast):
    await make_session(cast)  # scheduled in two days
    response = await client.get("/api/v1/statistics/events", params={"period_end": "2026-01-31"})
    assert response.status_code == 200
    assert response.json()["total"]["sessions"] == 0
