"""Fixtures of the statistics tests: data made through the wings' services, as the product makes it.

``known``: the data set of test_adoption.py (its docstring gives the figures).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.analytics import factories
from tests.analytics.factories import at, decide
from tests.consultations.conftest import headers, make_consultation  # noqa: F401 - fixtures used here too
from tests.mailbox.conftest import sms_drained  # noqa: F401 - receipts queue SMS: let them go before the next test


@pytest.fixture
async def known(client, cast, headers, make_consultation):  # noqa: F811 - the fixtures imported above
    topic = await client.post("/api/v1/topics", json={"title": "十五五规划系列"}, headers=await headers("admin"))
    assert topic.status_code == 201, topic.text
    await headers("fgw_editor"), await headers("zjj_editor")  # tokens valid now, before travelling back
    admin = await factories.staff(cast.admin)
    with at("2026-02-10T10:00:00+08:00"):
        a = await make_consultation("fgw", title="城市更新三年行动方案", topic=topic.json()["id"])
        b = await make_consultation("zjj", title="住房保障条例（草案）")
        a_ops = [await factories.opinion(a["id"]) for _ in range(4)]
        b_ops = [await factories.opinion(b["id"]) for _ in range(2)]
    with at("2026-03-05T10:00:00+08:00"):
        await decide(admin, a_ops[0], "adopted")
        await decide(admin, a_ops[1], "adopted")
    # 16:30 UTC on 31 March is 00:30 on 1 April in Beijing: an April decision.
    with at("2026-03-31T16:30:00+00:00"):
        await decide(admin, a_ops[2], "partially_adopted")
    with at("2026-04-20T10:00:00+08:00"):
        await decide(admin, a_ops[3], "not_adopted")
        await decide(admin, b_ops[0], "not_adopted")
    return SimpleNamespace(a=a, b=b, topic=topic.json(), a_ops=a_ops, b_ops=b_ops, admin=admin)
