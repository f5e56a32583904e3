"""Per-citizen limits (issue 12, item 4): letters, opinions, questions and comments per verified citizen, and
the per-phone daily budget of notification SMS, which never holds back a verification code."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.live_sessions.factories import make_citizen, make_session
from tests.support import citizen_headers, request_and_read_code, staff_headers

LETTER = {"subject": "老旧小区加装电梯", "body": "我家小区没有电梯，老人上下楼困难，希望加装。", "name": "李四海"}


def assert_refused(response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["status_code"] == 429 and response.json()["detail"]


async def count(table) -> int:
    return await table.count()


async def test_a_third_letter_within_a_minute_is_refused_and_nothing_of_it_is_stored(client, cast):
    from engagement.tables import SmsMessage
    from mailbox.tables import Letter

    headers = await citizen_headers(client, "13912345678")
    answers = await asyncio.gather(*[
        client.post("/api/v1/letters", json={**LETTER, "subject": f"加装电梯{index}"}, headers=headers)
        for index in range(3)])
    assert sorted(answer.status_code for answer in answers) == [201, 201, 429], [a.text for a in answers]
    assert_refused(next(answer for answer in answers if answer.status_code == 429))
    assert await count(Letter) == 2
    assert await SmsMessage.count().where(SmsMessage.purpose == "mailbox_receipt") == 2
    other = await citizen_headers(client, "13912345679")
    assert (await client.post("/api/v1/letters", json=LETTER, headers=other)).status_code == 201


async def test_the_daily_letter_limit_holds_beyond_the_minute(client, cast):
    start = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        headers = await citizen_headers(client, "13912345678")
    for minute in range(11):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            answer = await client.post("/api/v1/letters", json={**LETTER, "subject": f"第{minute}封"}, headers=headers)
        if minute < 10:
            assert answer.status_code == 201, answer.text
    assert_refused(answer)
    assert int(answer.headers["retry-after"]) > 3600  # until the day's window ends


async def published_consultation(client, cast) -> int:
    admin = await staff_headers(client, cast.admin)
    created = await client.post("/api/v1/consultations", headers=admin, json={
        "title": "关于城市更新方案公开征求意见", "department": "fgw", "summary": "征求意见。", "body": "一、总体要求",
        "closes_at": (datetime.now(UTC) + timedelta(days=10)).isoformat()})
    assert created.status_code == 201, created.text
    assert (await client.post(f"/api/v1/consultations/{created.json()['id']}/publish", headers=admin)).status_code == 200
    return created.json()["id"]


async def test_a_sixth_opinion_within_a_minute_is_refused(client, cast):
    from consultations.tables import Opinion

    consultation_id = await published_consultation(client, cast)
    headers = await citizen_headers(client, "13800138000")
    url = f"/api/v1/consultations/{consultation_id}/opinions"
    answers = [await client.post(url, json={"content": f"第{index}条建议：增加社区养老服务设施。"}, headers=headers)
               for index in range(6)]
    assert [answer.status_code for answer in answers] == [201] * 5 + [429]
    assert_refused(answers[-1])
    assert await count(Opinion) == 5
    other = await citizen_headers(client, "13800138001")
    assert (await client.post(url, json={"content": "建议增加公共停车位。"}, headers=other)).status_code == 201


async def test_questions_are_limited_per_citizen_across_sessions(client, cast):
    from live_sessions.tables import LiveQuestion

    first, second = await make_session(cast, status="live"), await make_session(cast, status="live")
    headers = await citizen_headers(client, "13700137000")
    answers = [await client.post(f"/api/v1/live-sessions/{session_id}/questions",
                                 json={"content": f"加装电梯的补贴标准是多少？{index}"}, headers=headers)
               for index, session_id in enumerate([first, first, second, second])]
    assert [answer.status_code for answer in answers] == [201, 201, 201, 429], [a.text for a in answers]
    assert_refused(answers[-1])
    assert await count(LiveQuestion) == 3


async def test_a_sixth_transcript_comment_within_a_minute_is_refused(client, cast):
    from live_sessions.tables import TranscriptComment

    host = await staff_headers(client, cast.host)
    session_id = await make_session(cast, status="live")
    await client.post(f"/api/v1/live-sessions/{session_id}/remarks", json={"content": "欢迎收看。"}, headers=host)
    await client.post(f"/api/v1/live-sessions/{session_id}/end", headers=host)
    assert (await client.post(f"/api/v1/live-sessions/{session_id}/transcript/publish", headers=host)).status_code == 200
    headers = await citizen_headers(client, "13600136000")
    answers = [await client.post(f"/api/v1/live-sessions/{session_id}/transcript/comments",
                                 json={"content": f"访谈很有帮助{index}"}, headers=headers) for index in range(6)]
    assert [answer.status_code for answer in answers] == [201] * 5 + [429]
    assert_refused(answers[-1])
    assert await count(TranscriptComment) == 5


async def test_notices_past_the_daily_budget_of_a_phone_are_kept_not_sent_and_codes_still_go(client, cast):
    from engagement.db import unit_of_work
    from engagement.notifications import SKIPPED_REASON, notify_citizen
    from engagement.tables import SmsMessage
    from tests.support import sms_settled

    citizen = await make_citizen()
    for index in range(12):
        async with unit_of_work():
            await notify_citizen(citizen.id, f"【政民互动】您的来信有新进展{index}", purpose="letter_reply",
                                 event_key=f"test:budget:{index}")
    assert await sms_settled()
    rows = await SmsMessage.select(SmsMessage.status, SmsMessage.last_error).order_by(SmsMessage.id)
    assert [row["status"] for row in rows] == ["sent"] * 10 + ["skipped"] * 2
    assert rows[-1]["last_error"] == SKIPPED_REASON
    phone = await _phone_of(citizen.id)
    assert await request_and_read_code(client, phone)  # a verification code is never held back


async def _phone_of(citizen_id: int) -> str:
    from engagement.verification import citizen_phone

    return (await citizen_phone(citizen_id)).removeprefix("+86")


@pytest.mark.database_independent
def test_the_limit_settings_have_defaults_and_are_checked():
    from engagement.settings import Settings, SettingsError

    names = {"ENGAGEMENT_CITIZEN_LETTERS_PER_DAY": ("citizen_letters_per_day", 10),
             "ENGAGEMENT_CITIZEN_OPINIONS_PER_DAY": ("citizen_opinions_per_day", 30),
             "ENGAGEMENT_CITIZEN_COMMENTS_PER_DAY": ("citizen_comments_per_day", 60),
             "ENGAGEMENT_CITIZEN_QUESTIONS_PER_DAY": ("citizen_questions_per_day", 30),
             "ENGAGEMENT_CITIZEN_ISSUES_PER_DAY": ("citizen_issues_per_day", 10),
             "ENGAGEMENT_NOTIFICATION_SMS_PER_PHONE_DAY": ("notification_sms_per_phone_day", 10)}
    environment = {key: value for key, value in os.environ.items() if key not in names}
    for name, (field, default) in names.items():
        assert getattr(Settings.from_env(environment), field) == default
        assert getattr(Settings.from_env({**environment, name: "3"}), field) == 3
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**environment, name: "0"})
