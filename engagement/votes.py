"""Support votes: one per citizen per target, attached to any allowed (kind, id).

The unique vote_key makes the database the arbiter, so concurrent requests
from one citizen can never count twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count
from piccolo.querystring import QueryString

from engagement.errors import InvalidInput
from engagement.tables import SupportVote


@dataclass(frozen=True)
class VoteResult:
    counted: bool
    support_count: int


def _vote_key(kind: str, target_id: int, citizen_id: int) -> str:
    return f"{kind}:{target_id}:{citizen_id}"


async def cast_vote(kind: str, target_id: int, citizen_id: int, allowed_kinds: frozenset[str] | None = None) -> VoteResult:
    if allowed_kinds is not None and kind not in allowed_kinds:
        raise InvalidInput(f"votes are not taken on {kind!r}")
    inserted = await SupportVote.insert(
        SupportVote(
            vote_key=_vote_key(kind, target_id, citizen_id), target_kind=kind, target_id=target_id, citizen=citizen_id
        )
    ).on_conflict(target=SupportVote.vote_key, action="DO NOTHING").returning(SupportVote.id)
    return VoteResult(counted=bool(inserted), support_count=await count_votes(kind, target_id))


async def count_votes(kind: str, target_id: int) -> int:
    return await SupportVote.count().where((SupportVote.target_kind == kind) & (SupportVote.target_id == target_id))


async def has_voted(kind: str, target_id: int, citizen_id: int) -> bool:
    return await SupportVote.exists().where(SupportVote.vote_key == _vote_key(kind, target_id, citizen_id))


async def vote_counts(kind: str, target_ids: list[int]) -> dict[int, int]:
    """Counts for many targets in one query (list pages must not query per row)."""
    if not target_ids:
        return {}
    return {row["target_id"]: row["n"] for row in await counts_by_target(kind, target_ids)}


def counts_by_target(kind: str, targets: Any):
    """The query of ``vote_counts``: rows of ``target_id`` and ``n`` for ``targets``, a list of ids or a select
    of them (so that it can be prepared, or count a list's rows in the same round trip)."""
    return (SupportVote.select(SupportVote.target_id, Count(alias="n"))
            .where((SupportVote.target_kind == kind) & SupportVote.target_id.is_in(targets))
            .group_by(SupportVote.target_id))


def count_column(kind: str, table: Any, alias: str = "support_count") -> QueryString:
    """A column for a select of ``table``: each row's votes of ``kind`` (a scalar subquery), the count
    ``count_votes`` gives, without a query of its own."""
    votes = SupportVote._meta.tablename
    return QueryString(f'(SELECT COUNT(*) FROM "{votes}" WHERE "{votes}"."target_kind" = {{}}'
                       f' AND "{votes}"."target_id" = "{table._meta.tablename}"."id")', kind, alias=alias)


async def merge_votes(kind: str, from_id: int, into_id: int) -> int:
    """Move the votes on ``from_id`` to ``into_id``: a citizen who voted for both counts once.

    Call inside the caller's unit of work (the merge it belongs to); answers the target's new count.
    """
    await SupportVote.raw(
        "INSERT INTO support_vote (vote_key, target_kind, target_id, citizen, created_at) "
        "SELECT {} || CAST(citizen AS TEXT), target_kind, {}, citizen, created_at FROM support_vote "
        "WHERE target_kind = {} AND target_id = {} ON CONFLICT (vote_key) DO NOTHING",
        f"{kind}:{into_id}:", into_id, kind, from_id,
    )
    await SupportVote.delete().where((SupportVote.target_kind == kind) & (SupportVote.target_id == from_id))
    return await count_votes(kind, into_id)
