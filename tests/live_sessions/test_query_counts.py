"""Every list page and list API of live sessions takes the same number of queries for few and many rows."""

from __future__ import annotations

from live_sessions import services, services_questions, services_transcripts
from tests.live_sessions.factories import approve, ask, make_citizen, make_session, staff_of
from tests.support import assert_max_queries

MAX_QUERIES = 12


async def _published_session(cast, host, index: int) -> int:
    session_id = await make_session(cast, status="live", title=f"加装电梯访谈{index}")
    question_id = await ask(cast, session_id, content=f"电梯补贴问题{index}", citizen=await make_citizen())
    await approve(cast, question_id)
    await services_questions.answer_question(host, question_id, f"电梯补贴答复{index}")
    await services.end_session(host, session_id)
    await services_transcripts.publish_transcript(host, session_id)
    return session_id


async def _grow(cast, host, live: int, done: int, sessions: int, size: int) -> None:
    """Bring the world to ``size`` published sessions; the live session to ``size`` pending and ``size`` answered
    questions, the published one to ``size`` comments."""
    for index in range(sessions, size):
        await _published_session(cast, host, index)
        citizen = await make_citizen()
        await ask(cast, live, content=f"待审核的问题{index}", citizen=citizen)
        answered = await ask(cast, live, content=f"已回答的问题{index}", citizen=citizen)
        await approve(cast, answered)
        await services_questions.answer_question(host, answered, f"答复{index}")
        comment = await services_transcripts.comment_on_transcript(citizen, done, f"访谈很有帮助{index}")
        await services_transcripts.moderate_comment(host, comment["id"], "approve")


async def _log_in_host(client, cast) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"username": cast.host.username, "password": cast.host.password,
                                                 "next": "/staff"},
                                  headers={"x-csrftoken": client.cookies.get("engagement_csrf", "")})
    assert response.status_code == 303, response.text


async def test_every_list_takes_the_same_number_of_queries_for_3_and_24_rows(client, cast):
    host = await staff_of(cast.host)
    live = await make_session(cast, status="live", title="正在进行的访谈")
    done = await _published_session(cast, host, 999)
    paths = [
        "/live-sessions", "/live-sessions/search?q=电梯", "/staff/live-sessions", f"/staff/live-sessions/{live}",
        f"/live-sessions/{live}", f"/live-sessions/{live}/text", f"/live-sessions/{done}",
        "/api/v1/live-sessions", "/api/v1/transcripts?q=电梯", f"/api/v1/live-sessions/{live}/events",
        f"/api/v1/live-sessions/{live}/questions", f"/api/v1/live-sessions/{live}/moderation-queue",
        f"/api/v1/live-sessions/{done}/transcript", f"/api/v1/live-sessions/{done}/transcript/comments",
    ]
    counts: dict[str, list[int]] = {path: [] for path in paths}
    made = 0
    for size in (3, 24):
        await _grow(cast, host, live, done, made, size)
        made = size
        await _log_in_host(client, cast)
        bearer = {"Authorization": f"Bearer {(await client.post('/api/v1/auth/login', json={'username': cast.host.username, 'password': cast.host.password})).json()['token']}"}
        for path in paths:
            with assert_max_queries(MAX_QUERIES) as statements:
                response = await client.get(path, headers=bearer if "moderation-queue" in path else {})
            assert response.status_code == 200, (path, response.text[:200])
            counts[path].append(len(statements))
        listed = (await client.get("/api/v1/live-sessions?limit=100")).json()
        assert listed["total"] == size + 2
    assert {path: pair for path, pair in counts.items() if pair[0] != pair[1]} == {}
