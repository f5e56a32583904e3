"""Personal data in live events and transcript entries stored before masking was enforced, masked now.

Viewers' events (``live_event`` rows of the public stream) and transcript entries were once written
with what citizens and hosts typed; today every public text goes through ``engagement.masking``
before it is stored. This data migration applies the same rule to the rows written before:

- public events: ``name`` masked as a name (unless it is masked already), and ``content``, ``title``,
  ``location`` and ``note`` with phone, ID, e-mail and card numbers and that name masked;
- transcript entries: ``content`` likewise (for a question, with the asker's name), and the
  speaker of a question entry shown as the masked name of its asker.

The staff stream is left as it is: moderators see what was written. Masking is idempotent on text
already masked, so rows written since are unchanged. Rows are read and written in batches by id.
"""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

from engagement.masking import MASK, mask_name, mask_personal_data

ID = "2026-12-02T07:15:08:952310"
VERSION = "1.38.0"
DESCRIPTION = "Mask personal data in live events and transcript entries stored before masking"

BATCH = 500
PUBLIC_TEXT_FIELDS = ("content", "title", "location", "note")


def masked_payload(payload: dict) -> dict:
    name = payload.get("name")
    raw_name = name if isinstance(name, str) and name and MASK not in name else ""
    masked = dict(payload)
    if raw_name:
        masked["name"] = mask_name(raw_name)
    for field in PUBLIC_TEXT_FIELDS:
        if isinstance(masked.get(field), str):
            masked[field] = mask_personal_data(masked[field], [raw_name] if raw_name else [])
    return masked


def masked_entry(entry: dict, asker: str) -> dict:
    names = [asker] if asker else []
    changes = {"content": mask_personal_data(entry["content"] or "", names)}
    if entry["kind"] == "question" and asker:
        changes["speaker"] = mask_name(asker)
    return changes


async def _batches(engine, query: str):
    last_id = 0
    while rows := await engine.run_querystring(QueryString(query, last_id, BATCH)):
        yield rows
        last_id = rows[-1]["id"]


async def mask_public_events() -> None:
    engine = engine_finder()
    query = "SELECT id, payload FROM live_event WHERE stream = 'public' AND id > {} ORDER BY id LIMIT {}"
    async for rows in _batches(engine, query):
        for row in rows:
            payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
            if not isinstance(payload, dict):
                continue
            masked = masked_payload(payload)
            if masked != payload:
                await engine.run_querystring(QueryString(
                    "UPDATE live_event SET payload = {} WHERE id = {}", json.dumps(masked, ensure_ascii=False),
                    row["id"]))


async def mask_transcript_entries() -> None:
    engine = engine_finder()
    query = ("SELECT e.id, e.kind, e.speaker, e.content, q.display_name AS asker FROM live_transcript_entry e "
             "LEFT JOIN live_question q ON e.source_kind = 'question' AND q.id = e.source_id "
             "WHERE e.id > {} ORDER BY e.id LIMIT {}")
    async for rows in _batches(engine, query):
        for row in rows:
            changes = masked_entry(row, row["asker"] or "")
            if any(row[field] != value for field, value in changes.items()):
                await engine.run_querystring(QueryString(
                    "UPDATE live_transcript_entry SET content = {}, speaker = {} WHERE id = {}",
                    changes["content"], changes.get("speaker", row["speaker"]), row["id"]))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="live_sessions", description=DESCRIPTION)
    manager.add_raw(mask_public_events)
    manager.add_raw(mask_transcript_entries)
    return manager
