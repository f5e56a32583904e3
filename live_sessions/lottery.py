"""The seat lottery of open meetings, as pure functions anyone can re-run (no database, no secrets).

The procedure (docs/live_sessions.md, "Open meetings: lottery, check-in and pages"):

1. **Commitment.** When a lottery meeting is announced, a seed of 32 random bytes from
   ``secrets`` is drawn and kept secret; its commitment ``sha256(seed)`` is published at once
   (the seed is its 64 lowercase hexadecimal characters; the hash is over those ASCII characters).
2. **Frozen entrants.** When registration closes, the entrants (every registration still in the
   draw) are written as text, one line per entrant in ascending registration id::

       <registration id> TAB <public id> TAB <category> LF

   ``public id`` is 16 hexadecimal characters the site derives from the registration code with a
   key of its own (the registrant sees theirs on their registration page; it reveals neither the
   code nor the person); ``category`` is the seat pool the registration counts against: a quota's
   key, or empty for the open pool. The text is UTF-8; ``entrants_hash = sha256(text)``, published.
3. **Draw.** The seed is revealed. Each entrant's draw key is
   ``HMAC-SHA256(key = seed as ASCII, message = public id as ASCII)``, in hexadecimal; the draw
   order sorts the entrants by (draw key, registration id) ascending. HMAC-SHA256 with a 256-bit
   secret key is a pseudo-random function: before the seed is revealed nobody can predict the
   order, and no order is more likely than another (no modulo bias: nothing is reduced modulo).
4. **Seats.** The seats come in pools (``services_registrations.seat_pools``): each quota's seats,
   and the open pool ``""`` with the seats no quota reserves (all of them without quotas). Going
   down the draw order, an entrant wins a seat while their pool has one left, so no pool and not
   the capacity is ever exceeded. Everyone else is waitlisted in draw order: ``queue_position``
   1, 2, … across pools (a freed seat goes to the first of the same pool); ``draw_rank`` is the
   place in the draw order (1 first).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

SEED_BYTES = 32
PUBLIC_ID_LENGTH = 16
_SEPARATORS = ("\t", "\n", "\r")


@dataclass(frozen=True)
class Entrant:
    registration_id: int
    public_id: str
    category: str = ""


@dataclass(frozen=True)
class Outcome:
    """The result of a draw: the full order, the winners and the waitlist (both in draw order)."""

    order: tuple[Entrant, ...]
    winners: tuple[Entrant, ...]
    waitlist: tuple[Entrant, ...]

    def draw_rank(self, registration_id: int) -> int:
        return next(rank for rank, entrant in enumerate(self.order, 1) if entrant.registration_id == registration_id)


def new_seed() -> str:
    import secrets

    return secrets.token_hex(SEED_BYTES)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def seed_matches(seed: str, published_commitment: str) -> bool:
    return hmac.compare_digest(commitment(seed), published_commitment.lower())


def entrants_text(entrants: Iterable[Entrant]) -> str:
    """The canonical serialisation (step 2), entrants in ascending registration id."""
    lines = []
    for entrant in sorted(entrants, key=lambda e: e.registration_id):
        for value in (entrant.public_id, entrant.category):
            if any(separator in value for separator in _SEPARATORS):
                raise ValueError(f"entrant {entrant.registration_id}: tab or line break in {value!r}")
        lines.append(f"{entrant.registration_id}\t{entrant.public_id}\t{entrant.category}\n")
    return "".join(lines)


def parse_entrants(text: str) -> list[Entrant]:
    """The inverse of ``entrants_text``."""
    entrants = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0].isdigit():
            raise ValueError(f"line {number}: expected '<id> TAB <public id> TAB <category>'")
        entrants.append(Entrant(int(parts[0]), parts[1], parts[2]))
    return entrants


def entrants_hash(entrants: Iterable[Entrant]) -> str:
    return hashlib.sha256(entrants_text(entrants).encode("utf-8")).hexdigest()


def draw_key(seed: str, public_id: str) -> str:
    return hmac.new(seed.encode("ascii"), public_id.encode("ascii"), hashlib.sha256).hexdigest()


def draw_order(seed: str, entrants: Iterable[Entrant]) -> list[Entrant]:
    return sorted(entrants, key=lambda e: (draw_key(seed, e.public_id), e.registration_id))


def allocate(order: Sequence[Entrant], pools: Mapping[str, int]) -> Outcome:
    """Each pool's seats to its first entrants in draw order (step 4); everyone else waitlisted."""
    taken = dict.fromkeys(pools, 0)
    won: set[int] = set()
    for entrant in order:
        if taken.get(entrant.category, 0) < pools.get(entrant.category, 0):
            taken[entrant.category] += 1
            won.add(entrant.registration_id)
    winners = tuple(e for e in order if e.registration_id in won)
    waitlist = tuple(e for e in order if e.registration_id not in won)
    return Outcome(order=tuple(order), winners=winners, waitlist=waitlist)


def run_draw(seed: str, entrants: Iterable[Entrant], pools: Mapping[str, int]) -> Outcome:
    return allocate(draw_order(seed, entrants), pools)


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    detail: str = ""


def verify_record(record: Mapping[str, object]) -> tuple[list[Check], Outcome]:
    """Re-run a published draw (the JSON of ``GET /api/v1/live-sessions/{id}/draw``) and compare.

    Checks that sha256(seed) is the commitment, that the entrants' text and hash are what was
    published, and that the order, winners and waitlist are the published ones.
    """
    entrants = [Entrant(int(e["registration_id"]), str(e["public_id"]), str(e["category"]))
                for e in record.get("entrants") or []]  # type: ignore[union-attr]
    seed = str(record.get("seed") or "")
    pools = {str(pool): int(seats) for pool, seats in (record.get("pools") or {}).items()}  # type: ignore[union-attr]
    checks = []
    if record.get("seed_commitment"):
        checks.append(Check("seed commitment", seed_matches(seed, str(record["seed_commitment"])),
                            f"sha256(seed) = {commitment(seed)}"))
    computed_hash = entrants_hash(entrants)
    if record.get("entrants_text") is not None:
        checks.append(Check("entrants text", record["entrants_text"] == entrants_text(entrants),
                            "the published text is the canonical serialisation of the entrants"))
    if record.get("entrants_hash"):
        checks.append(Check("entrants hash", computed_hash == record["entrants_hash"], f"sha256(entrants) = {computed_hash}"))
    outcome = run_draw(seed, entrants, pools)
    published = record.get("results") or []
    if published:
        ranks = {entrant.registration_id: rank for rank, entrant in enumerate(outcome.order, 1)}
        winners = {entrant.registration_id for entrant in outcome.winners}
        waitlist = {entrant.registration_id: position for position, entrant in enumerate(outcome.waitlist, 1)}
        same = len(published) == len(entrants) and all(  # type: ignore[arg-type]
            ranks.get(int(r["registration_id"])) == r["draw_rank"]
            and (int(r["registration_id"]) in winners) == bool(r["won"])
            and waitlist.get(int(r["registration_id"])) == r.get("queue_position")
            for r in published  # type: ignore[union-attr]
        )
        checks.append(Check("published outcome", same, "draw ranks, winners and waitlist positions"))
    return checks, outcome
