"""The published record of an open meeting's seat lottery (public: no names, no phones, no codes)."""

from __future__ import annotations

from typing import Any

import msgspec

from live_sessions import services


class DrawEntrant(msgspec.Struct):
    registration_id: int
    public_id: str  # 16 hex characters derived from the registration code with the site's key
    category: str  # the seat pool: a quota's category, "" for the open pool


class DrawResult(msgspec.Struct):
    registration_id: int
    public_id: str
    draw_rank: int
    won: bool
    queue_position: int | None


class DrawRecord(msgspec.Struct):
    """Before the draw only the commitment; after it the frozen entrants, their hash, the seed and the outcome."""

    session_id: int
    allocation: str
    capacity: int | None
    pools: dict[str, int]  # seats per pool ("" = the seats no quota reserves)
    registration_closes_at: str | None
    seed_commitment: str  # sha256 of the seed, published when the meeting was announced
    drawn: bool
    drawn_at: str | None
    seed: str | None
    entrants_hash: str | None  # sha256 of entrants_text
    entrants_text: str | None  # the canonical serialisation (docs/live_sessions.md)
    entrants: list[DrawEntrant]
    results: list[DrawResult]  # in draw order
    procedure: str = "docs/live_sessions.md#open-meetings-lottery-check-in-and-pages"


def draw_record(record: dict[str, Any]) -> DrawRecord:
    return DrawRecord(
        session_id=record["session_id"], allocation=record["allocation"], capacity=record["capacity"],
        pools=record["pools"], registration_closes_at=services._iso(record["registration_closes_at"]),
        seed_commitment=record["seed_commitment"], drawn=record["drawn"], drawn_at=services._iso(record["drawn_at"]),
        seed=record["seed"], entrants_hash=record["entrants_hash"], entrants_text=record["entrants_text"],
        entrants=[DrawEntrant(**entrant) for entrant in record["entrants"]],
        results=[DrawResult(**result) for result in record["results"]],
    )
