"""One support vote per citizen per target, also under concurrent requests."""

import asyncio

import pytest

from engagement.errors import InvalidInput
from engagement.votes import cast_vote, count_votes, has_voted, vote_counts
from tests.support import citizen_headers


async def citizen_ids(client, phones):
    """Citizens made through the verification services."""
    from engagement.tables import Citizen

    for phone in phones:
        await citizen_headers(client, phone)
    return [row["id"] for row in await Citizen.select(Citizen.id).order_by(Citizen.id)]


async def test_fifty_simultaneous_votes_from_one_citizen_count_once(client):
    [citizen] = await citizen_ids(client, ["13800138000"])
    results = await asyncio.gather(*[cast_vote("opinion", 7, citizen) for _ in range(50)])
    assert sum(result.counted for result in results) == 1
    assert await count_votes("opinion", 7) == 1
    assert await has_voted("opinion", 7, citizen)


async def test_simultaneous_votes_from_different_citizens_all_count(client):
    citizens = await citizen_ids(client, [f"1390000{n:04d}" for n in range(10)])
    results = await asyncio.gather(*[cast_vote("opinion", 7, c) for c in citizens for _ in range(5)])
    assert sum(result.counted for result in results) == 10
    assert await count_votes("opinion", 7) == 10


async def test_votes_are_counted_per_target_in_one_query(client):
    from tests.support import captured_queries

    a, b = await citizen_ids(client, ["13800138000", "13912345678"])
    await cast_vote("opinion", 1, a)
    await cast_vote("opinion", 1, b)
    await cast_vote("opinion", 2, a)
    await cast_vote("question", 1, a)
    with captured_queries() as statements:
        counts = await vote_counts("opinion", [1, 2, 3])
    assert counts == {1: 2, 2: 1}
    assert len(statements) == 1


async def test_votes_only_on_allowed_kinds(client):
    [citizen] = await citizen_ids(client, ["13800138000"])
    with pytest.raises(InvalidInput):
        await cast_vote("staff_user", 1, citizen, allowed_kinds=frozenset({"opinion"}))
    assert await count_votes("staff_user", 1) == 0


async def test_merging_votes_counts_each_citizen_once_across_both_targets(client):
    from engagement.db import unit_of_work
    from engagement.votes import merge_votes

    both, only_from, only_into = await citizen_ids(client, ["13800138000", "13912345678", "13700137000"])
    for citizen in (both, only_from):
        await cast_vote("opinion", 1, citizen)
    for citizen in (both, only_into):
        await cast_vote("opinion", 2, citizen)
    await cast_vote("letter", 1, only_into)  # another kind with the same id is left alone
    async with unit_of_work():
        assert await merge_votes("opinion", 1, 2) == 3
    assert await count_votes("opinion", 1) == 0
    assert await vote_counts("opinion", [2]) == {2: 3}
    assert await has_voted("opinion", 2, only_from)
    assert await count_votes("letter", 1) == 1
    assert not (await cast_vote("opinion", 2, only_from)).counted
