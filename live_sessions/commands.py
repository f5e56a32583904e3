"""``python -m engagement verify-draw``: re-run an open meeting's seat lottery from its published record.

    python -m engagement verify-draw --session 12 --url https://example.gov.cn   # the public record, over HTTP
    python -m engagement verify-draw --session 12                                # this installation's database
    python -m engagement verify-draw --entrants draw.json                        # a saved copy of the record
    python -m engagement verify-draw --entrants entrants.txt --seed SEED --seats 5 --quota residents=3

Prints the checks (commitment, entrants hash, outcome) and the winners in draw order; the exit
status is 0 when every check passes, 1 when one fails, 2 when the record cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

from engagement.modules import Command
from live_sessions import lottery

DRAW_PATH = "/api/v1/live-sessions/%d/draw"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--session", type=int, help="the meeting's id (its page is /live-sessions/ID)")
    parser.add_argument("--url", help="the site to read the public record from, e.g. https://example.gov.cn")
    parser.add_argument("--entrants", type=Path,
                        help="a saved copy of the record (JSON), or the entrants text (one 'id TAB public id TAB pool' a line)")
    parser.add_argument("--seed", help="the revealed seed (overrides the record's)")
    parser.add_argument("--seats", type=int, default=None, help="with an entrants text: seats of the open pool")
    parser.add_argument("--quota", action="append", default=[], metavar="POOL=SEATS",
                        help="with an entrants text: seats of a quota (repeat for each)")


def verify_draw(args: argparse.Namespace) -> int:
    try:
        record = _record(args)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.seed:
        record["seed"] = args.seed
    if not record.get("seed"):
        print("error: the draw has not taken place yet (no seed is published); the commitment is "
              f"{record.get('seed_commitment') or 'not published'}", file=sys.stderr)
        return 2
    checks, outcome = lottery.verify_record(record)
    _print(record, checks, outcome)
    return 0 if all(check.ok for check in checks) else 1


def _record(args: argparse.Namespace) -> dict[str, Any]:
    if args.entrants is not None:
        text = args.entrants.read_text(encoding="utf-8")
        if text.lstrip().startswith("{"):
            return json.loads(text)
        return _record_from_text(text, args)
    if args.session is None:
        raise ValueError("give --session ID (with or without --url) or --entrants FILE")
    if args.url:
        url = args.url.rstrip("/") + DRAW_PATH % args.session
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))
    return asyncio.run(_record_from_database(args.session))


def _record_from_text(text: str, args: argparse.Namespace) -> dict[str, Any]:
    entrants = lottery.parse_entrants(text)
    pools = {"": args.seats} if args.seats is not None else {}
    for item in args.quota:
        pool, _sep, seats = item.partition("=")
        if not seats.isdigit():
            raise ValueError(f"--quota {item!r}: expected POOL=SEATS")
        pools[pool] = int(seats)
    return {"entrants": [{"registration_id": e.registration_id, "public_id": e.public_id, "category": e.category}
                         for e in entrants], "pools": pools, "seed": args.seed}


async def _record_from_database(session_id: int) -> dict[str, Any]:
    import msgspec

    from engagement.errors import NotFound
    from live_sessions import services_lottery
    from live_sessions.schemas_lottery import draw_record

    try:
        return msgspec.to_builtins(draw_record(await services_lottery.published_draw(session_id)))
    except NotFound as error:
        raise ValueError(error.detail) from None


def _print(record: dict[str, Any], checks: list[lottery.Check], outcome: lottery.Outcome) -> None:
    print(f"entrants: {len(outcome.order)}; seats per pool: {json.dumps(record.get('pools') or {}, ensure_ascii=False)}")
    for check in checks:
        print(f"{'OK  ' if check.ok else 'FAIL'} {check.what}: {check.detail}")
    winners = {entrant.registration_id for entrant in outcome.winners}
    print("draw order (rank, registration id, public id, pool, result):")
    waitlist = {entrant.registration_id: n for n, entrant in enumerate(outcome.waitlist, 1)}
    for rank, entrant in enumerate(outcome.order, 1):
        result = "seat" if entrant.registration_id in winners else f"waitlist {waitlist[entrant.registration_id]}"
        print(f"  {rank:>4}  {entrant.registration_id:>6}  {entrant.public_id}  {entrant.category or '-':<12} {result}")
    print("winners: " + " ".join(str(entrant.registration_id) for entrant in outcome.winners))


COMMANDS = [Command(name="verify-draw", handler=verify_draw, arguments=add_arguments,
                    help="Re-run an open meeting's seat lottery from its published record and check it.")]
