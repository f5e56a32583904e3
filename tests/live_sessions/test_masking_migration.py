"""The data migration that masks live events and transcript entries written before masking was enforced
(live_sessions/piccolo_migrations/live_sessions_2026_12_02t07_15_08_952310.py), run on rows stored unmasked."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from tests.live_sessions.factories import make_citizen, make_session

MIGRATION = (Path(__file__).resolve().parents[2] / "live_sessions" / "piccolo_migrations"
             / "live_sessions_2026_12_02t07_15_08_952310.py")
PHONE, ID_NUMBER, EMAIL = "13812345678", "110101199003071234", "zhang.xiaoming@example.com"


async def run_migration() -> None:
    spec = importlib.util.spec_from_file_location("mask_live_texts", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await (await module.forwards()).run()


async def old_event(session_id: int, seq: int, stream: str, payload: dict) -> int:
    from live_sessions.tables import LiveEvent

    rows = await LiveEvent.insert(LiveEvent(session=session_id, stream=stream, seq=seq,
                                            event_key=f"{session_id}:{stream}:{seq}", type="question_approved",
                                            payload=json.dumps(payload, ensure_ascii=False))).returning(LiveEvent.id)
    return rows[0]["id"]


async def payload_of(event_id: int) -> dict:
    from live_sessions.tables import LiveEvent

    value = (await LiveEvent.select(LiveEvent.payload).where(LiveEvent.id == event_id).first())["payload"]
    return json.loads(value) if isinstance(value, str) else value


async def test_the_migration_masks_old_public_events_and_transcript_entries(cast):
    from live_sessions.tables import LiveQuestion, TranscriptEntry

    session_id = await make_session(cast, status="ended")
    unmasked = {"id": 1, "name": "张小明", "content": f"我是张小明，电话{PHONE}，身份证{ID_NUMBER}，邮箱{EMAIL}"}
    public = await old_event(session_id, 1001, "public", unmasked)
    already = await old_event(session_id, 1002, "public", {"id": 2, "name": "李*", "content": "电话138****5678"})
    staff = await old_event(session_id, 1001, "staff", unmasked)
    citizen = await make_citizen()
    question = (await LiveQuestion.insert(LiveQuestion(
        session=session_id, citizen=citizen.id, content=unmasked["content"], display_name="张小明",
        state="approved")).returning(LiveQuestion.id))[0]["id"]
    entries = await TranscriptEntry.insert(
        TranscriptEntry(session=session_id, position=1, kind="question", speaker="张小明",
                        content=unmasked["content"], source_kind="question", source_id=question),
        TranscriptEntry(session=session_id, position=2, kind="answer", speaker="王局长",
                        content=f"请拨打{PHONE}联系我们", source_kind="message", source_id=None),
    ).returning(TranscriptEntry.id)

    await run_migration()

    masked = await payload_of(public)
    assert masked["name"] == "张*明" and masked["id"] == 1
    for secret in (PHONE, ID_NUMBER, EMAIL, "张小明"):
        assert secret not in json.dumps(masked, ensure_ascii=False), secret
    assert await payload_of(already) == {"id": 2, "name": "李*", "content": "电话138****5678"}
    assert await payload_of(staff) == unmasked  # moderators see what was written
    rows = await TranscriptEntry.select(TranscriptEntry.speaker, TranscriptEntry.content).where(
        TranscriptEntry.id.is_in([row["id"] for row in entries])).order_by(TranscriptEntry.position)
    assert rows[0]["speaker"] == "张*明" and rows[1]["speaker"] == "王局长"
    for row in rows:
        for secret in (PHONE, ID_NUMBER, EMAIL, "张小明"):
            assert secret not in row["content"], (secret, row["content"])
    assert "138****5678" in rows[1]["content"]

    await run_migration()  # idempotent: a second run changes nothing
    assert await payload_of(public) == masked
