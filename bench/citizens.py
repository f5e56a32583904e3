"""Verified citizens for the benchmarks: each verifies a phone of its own through the SMS round trip
(the development outbox), from a client address of its own so the per-address caps do not apply."""

from __future__ import annotations

import re

import httpx


def forwarded(n: int, network: int) -> dict[str, str]:
    """A client address 10.<network>.x.y for the n-th citizen (trusted as forwarded by the benchmarks' server)."""
    return {"x-forwarded-for": f"10.{network}.{n // 250}.{n % 250 + 1}"}


def citizen_tokens(base: str, count: int, phone_prefix: str, network: int) -> list[str]:
    """``count`` citizen tokens for the phones <phone_prefix>0000, <phone_prefix>0001, …"""
    tokens = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for n in range(count):
            phone = f"{phone_prefix}{n:04d}"
            headers = forwarded(n, network)
            assert http.post("/api/v1/sms/codes", json={"phone": phone}, headers=headers).status_code == 202
            body = next(m["body"] for m in http.get("/dev/sms-outbox").json() if m["phone"] == f"+86{phone}")
            code = re.search(r"\d{6}", body).group()
            answer = http.post("/api/v1/sms/verify", json={"phone": phone, "code": code}, headers=headers)
            tokens.append(answer.json()["citizen_token"])
    return tokens
