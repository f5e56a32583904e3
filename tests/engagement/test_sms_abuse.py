"""Issue 12, items 3 and 7: SMS codes that cost nothing to refuse, and no SMS pumping.

A refused request charges no counter (a client over its cap cannot lock other people's phones out),
codes go only to the configured regions, and IPv6 clients are capped per /64.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import time_machine

from engagement.verification import CLIENT_HOURLY_CAP

VICTIM = "13700137000"


@asynccontextmanager
async def client_at(app, address: str):
    transport = httpx.ASGITransport(app=app, client=(address, 40002))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def use_up_the_hourly_cap(http) -> None:
    for n in range(CLIENT_HOURLY_CAP):
        response = await http.post("/api/v1/sms/codes", json={"phone": f"139{n:08d}"})
        assert response.status_code == 202, response.text


async def test_a_client_over_its_cap_cannot_lock_a_phone_out(app):
    with time_machine.travel("2026-11-26 10:00:00 +0800", tick=False):
        async with client_at(app, "198.51.100.7") as abuser:
            await use_up_the_hourly_cap(abuser)
            for _ in range(20):
                refused = await abuser.post("/api/v1/sms/codes", json={"phone": VICTIM})
                assert refused.status_code == 429 and "retry-after" in refused.headers
        async with client_at(app, "203.0.113.9") as victim:
            response = await victim.post("/api/v1/sms/codes", json={"phone": VICTIM})
            assert response.status_code == 202, response.text


async def test_ipv6_clients_are_capped_per_64(app):
    with time_machine.travel("2026-11-26 10:00:00 +0800", tick=False):
        for n in range(CLIENT_HOURLY_CAP):
            async with client_at(app, f"2001:db8:1:2::{n + 1:x}") as http:
                response = await http.post("/api/v1/sms/codes", json={"phone": f"139{n:08d}"})
                assert response.status_code == 202, response.text
        async with client_at(app, "2001:db8:1:2:ffff:ffff:ffff:fffe") as same_prefix:
            assert (await same_prefix.post("/api/v1/sms/codes", json={"phone": VICTIM})).status_code == 429
        async with client_at(app, "2001:db8:1:3::1") as next_prefix:
            assert (await next_prefix.post("/api/v1/sms/codes", json={"phone": VICTIM})).status_code == 202


async def test_numbers_outside_mainland_china_are_refused_by_default(client):
    refused = ["+447911123456", "+12025550123", "+85251234567"]
    for phone in refused:
        response = await client.post("/api/v1/sms/codes", json={"phone": phone})
        assert response.status_code == 400, (phone, response.text)
        assert response.json()["detail"] == "暂不支持向该国家或地区的手机号码发送验证码。"
    assert not [m for m in (await client.get("/dev/sms-outbox")).json() if m["phone"] in refused]
    assert (await client.post("/api/v1/sms/codes", json={"phone": "+8613800138000"})).status_code == 202


async def test_the_sms_regions_setting_is_checked_at_start(tmp_path):
    import os

    import pytest

    from engagement.settings import Settings, SettingsError

    allowed = Settings.from_env({**os.environ, "ENGAGEMENT_SMS_REGIONS": "cn, hk"})
    assert allowed.sms_regions == ("CN", "HK")
    with pytest.raises(SettingsError, match="ENGAGEMENT_SMS_REGIONS"):
        Settings.from_env({**os.environ, "ENGAGEMENT_SMS_REGIONS": "CN,XX"})
    with pytest.raises(SettingsError, match="ENGAGEMENT_SMS_HOURLY_BUDGET"):
        Settings.from_env({**os.environ, "ENGAGEMENT_SMS_HOURLY_BUDGET": "0"})
