"""A period outside the years the platform can hold records for is a clear 400, on every statistics route."""

from __future__ import annotations

import pytest

ROUTES = ["/api/v1/statistics/adoption?by=month", "/api/v1/statistics/mailbox?by=month", "/api/v1/statistics/events",
          "/api/v1/statistics/rectifications?by=month", "/api/v1/statistics/open-data"]


@pytest.mark.parametrize("route", ROUTES)
async def test_a_period_in_year_8_is_refused_with_the_range(client, route):
    response = await client.get(route, params={"period_start": "0008-02-04", "period_end": "0713-10-02"})
    assert response.status_code == 400, response.text
    assert "2000-01-01" in response.json()["detail"] and "2099-12-31" in response.json()["detail"]


async def test_a_period_within_the_range_is_answered(client):
    response = await client.get("/api/v1/statistics/adoption", params={"by": "month", "period_start": "2000-01-01",
                                                                        "period_end": "2099-12-31"})
    assert response.status_code == 200, response.text
