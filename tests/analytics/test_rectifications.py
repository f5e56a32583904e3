"""Rectifications (TV questioning) per department, and the TV-questioning and open-meeting event figures.

On time is judged by the Beijing date of completion against the due date; a rectification still
open past its due date, or completed after it, is overdue; the rate is on time of those whose
outcome is known, with its Wilson interval.
"""

from __future__ import annotations

from datetime import timedelta

from engagement import clock, workdays
from live_sessions import services_rectifications, services_registrations
from tests.live_sessions.factories import (
    complete,
    make_citizen,
    make_meeting,
    make_programme,
    propose,
    rectified_issue,
    register,
    staff_of,
)
from tests.support import assert_max_queries, log_in_page


async def _programme_with_rectifications(cast):
    """zjj: completed on its due date (on time), open past its due date (overdue), open and not yet due;
    fgw: completed three days after its due date (overdue). The on-time one's proposer says it is solved."""
    today = clock.today()
    session_id = await make_programme(cast)
    proposer = await make_citizen()
    _, on_time = await rectified_issue(cast, session_id, due_date=today, title="幸福路路灯不亮", citizen=proposer)
    await complete(cast, on_time)
    await services_rectifications.answer_confirmation(proposer, on_time, True)
    await rectified_issue(cast, session_id, due_date=today - timedelta(days=1), title="河道垃圾无人清理")
    await rectified_issue(cast, session_id, due_date=today + timedelta(days=30), title="公交站台没有遮雨棚")
    _, late = await rectified_issue(cast, session_id, department="fgw", due_date=today - timedelta(days=3),
                                    title="菜市场周边占道经营")
    await complete(cast, late, person=cast.fgw_editor)
    await propose(session_id, title="还没审核的问题")  # collected, not selected
    return session_id


async def test_rectifications_per_department_count_on_time_overdue_and_open(client, cast):
    await _programme_with_rectifications(cast)

    with assert_max_queries(3):  # snapshot look-up, the counts, the department names
        response = await client.get("/api/v1/statistics/rectifications", params={"by": "department"})
    assert response.status_code == 200, response.text
    rows = {item["key"]: item for item in response.json()["items"]}
    zjj, fgw = rows["zjj"], rows["fgw"]
    assert {name: zjj[name] for name in ("rectifications", "completed", "on_time", "overdue", "open",
                                         "confirmations_solved", "confirmations_not_solved")} == {
        "rectifications": 3, "completed": 1, "on_time": 1, "overdue": 1, "open": 1,
        "confirmations_solved": 1, "confirmations_not_solved": 0}
    assert zjj["on_time_rate"] == 0.5 and zjj["ci_low"] < 0.5 < zjj["ci_high"] and zjj["ranked"] is False
    assert (fgw["completed"], fgw["on_time"], fgw["overdue"], fgw["on_time_rate"]) == (1, 0, 1, 0.0)
    total = response.json()["total"]
    assert (total["rectifications"], total["on_time"], total["overdue"]) == (4, 1, 2)


async def test_one_departments_rectifications_and_an_unknown_grouping(client, cast):
    await _programme_with_rectifications(cast)
    response = await client.get("/api/v1/statistics/rectifications", params={"department": "fgw", "by": "month"})
    assert response.status_code == 200, response.text
    assert response.json()["total"]["rectifications"] == 1
    assert [item["rectifications"] for item in response.json()["items"]] == [1]
    refused = await client.get("/api/v1/statistics/rectifications", params={"by": "topic"})
    assert refused.status_code == 400 and "topic" in refused.json()["detail"]


async def test_events_count_issues_rectifications_and_registrations(client, cast):
    await _programme_with_rectifications(cast)
    meeting = await make_meeting(cast)  # 3 seats, first come
    codes = [(await register(meeting, name=name))[1] for name in ("张小明", "李四", "王五", "赵六")]
    await services_registrations.check_in(meeting, codes[0], await staff_of(cast.host))

    with assert_max_queries(6):  # one per table (5) and the snapshot look-up
        response = await client.get("/api/v1/statistics/events")
    assert response.status_code == 200, response.text
    rows = {item["key"]: item for item in response.json()["items"]}
    tv, meeting_row = rows["tv_questioning"], rows["open_meeting"]
    assert (tv["issues_collected"], tv["issues_selected"]) == (5, 4)
    assert (tv["rectifications"], tv["rectifications_completed"], tv["rectifications_on_time"],
            tv["rectifications_overdue"], tv["confirmations_solved"]) == (4, 2, 1, 2, 1)
    assert (meeting_row["registrations"], meeting_row["registrations_confirmed"],
            meeting_row["registrations_checked_in"]) == (4, 3, 1)


async def test_the_statistics_page_draws_rectifications_with_their_table(client, cast):
    await _programme_with_rectifications(cast)
    page = await client.get("/statistics")
    assert page.status_code == 200
    assert 'id="rectifications-department-heading"' in page.text and "按期整改" in page.text
    assert "菜市场周边占道经营" not in page.text  # counts only, never a citizen's text


async def test_the_staff_dashboard_lists_the_departments_overdue_rectifications(client, cast):
    await _programme_with_rectifications(cast)
    await log_in_page(client, cast.zjj_editor)
    response = await client.get("/staff/statistics")
    assert response.status_code == 200, response.text
    overdue = response.text.split("data-overdue-rectifications")[1].split("</table>")[0]
    late = workdays.working_days_late(clock.today() - timedelta(days=1), clock.today(), await workdays.load_calendar())
    assert "河道垃圾无人清理" in overdue and f"<td>{late}</td>" in overdue
    assert "公交站台没有遮雨棚" not in overdue and "菜市场周边占道经营" not in overdue  # not due; fgw's
