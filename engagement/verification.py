"""Citizen verification by SMS code (DESIGN sections 4 and 5).

Codes: six digits from a CSPRNG, stored as a keyed hash, single use, valid five
minutes, at most five checks. Sends: one per phone per minute, a daily cap per
phone, hourly and daily caps per client address. All counters are atomic SQL
statements, so several web processes and concurrent requests share them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from engagement import jobs
from engagement.crypto import InvalidToken, constant_time_equals, keyring
from engagement.db import write_transaction
from engagement.errors import InvalidInput, NotAuthenticated, TooManyRequests
from engagement.i18n import _
from engagement.phones import parse_mobile
from engagement.tables import Citizen, RateCounter, SmsCode, SmsCooldown, SmsMessage

CODE_TTL_SECONDS = 300
RESEND_AFTER_SECONDS = 60
MAX_CHECKS_PER_CODE = 5
PHONE_DAILY_CAP = 10
# An office behind one address must still be able to send 30 codes an hour.
CLIENT_HOURLY_CAP = 60
CLIENT_DAILY_CAP = 300
CITIZEN_TOKEN_TTL_SECONDS = 1800
CITIZEN_TOKEN_PREFIX = "ctz_"
DAY = 86400
HOUR = 3600


@dataclass(frozen=True)
class CodeSent:
    expires_in: int
    resend_after: int


@dataclass(frozen=True)
class VerifiedCitizen:
    id: int
    phone_hash: str


async def request_code(raw_phone: object, client_address: str) -> CodeSent:
    phone = parse_mobile(raw_phone)
    phone_hash = keyring().lookup_hash(phone)
    now = time.time()
    await _claim_cooldown(phone_hash, now)
    await _count_or_refuse(f"sms:phone:{phone_hash}", DAY, PHONE_DAILY_CAP, now)
    client_hash = keyring().lookup_hash(f"client:{client_address}")
    await _count_or_refuse(f"sms:client:{client_hash}", HOUR, CLIENT_HOURLY_CAP, now)
    await _count_or_refuse(f"sms:client-day:{client_hash}", DAY, CLIENT_DAILY_CAP, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    message_id = await _store_code_and_message(phone, phone_hash, code, now)
    await jobs.enqueue("engagement.deliver_sms", message_id)
    return CodeSent(expires_in=CODE_TTL_SECONDS, resend_after=RESEND_AFTER_SECONDS)


async def _claim_cooldown(phone_hash: str, now: float) -> None:
    claimed = await SmsCooldown.raw(
        "INSERT INTO sms_cooldown (phone_hash, next_allowed_at) VALUES ({}, {}) "
        "ON CONFLICT (phone_hash) DO UPDATE SET next_allowed_at = excluded.next_allowed_at "
        "WHERE sms_cooldown.next_allowed_at <= {} RETURNING next_allowed_at",
        phone_hash,
        now + RESEND_AFTER_SECONDS,
        now,
    )
    if claimed:
        return
    row = await SmsCooldown.select(SmsCooldown.next_allowed_at).where(SmsCooldown.phone_hash == phone_hash).first()
    wait = (row["next_allowed_at"] - now) if row else RESEND_AFTER_SECONDS
    raise TooManyRequests(_("Please wait before requesting another code."), retry_after=int(wait) + 1)


async def _count_or_refuse(key: str, window: int, limit: int, now: float) -> None:
    window_start = int(now // window) * window
    rows = await RateCounter.raw(
        "INSERT INTO rate_counter (bucket, count, expires_at) VALUES ({}, 1, {}) "
        "ON CONFLICT (bucket) DO UPDATE SET count = rate_counter.count + 1 RETURNING count",
        f"{key}@{window_start}",
        window_start + window,
    )
    if rows[0]["count"] > limit:
        raise TooManyRequests(
            _("Too many codes requested. Please try again later."),
            retry_after=int(window_start + window - now) + 1,
        )


async def _store_code_and_message(phone: str, phone_hash: str, code: str, now: float) -> int:
    keys = keyring()
    body = _("[Government Engagement] Your verification code is %(code)s, valid for 5 minutes.") % {"code": code}
    async with write_transaction(SmsCode._meta.db):
        # A new code replaces any earlier one still waiting.
        await SmsCode.update({SmsCode.used_at: now}).where(
            (SmsCode.phone_hash == phone_hash) & SmsCode.used_at.is_null()
        )
        await SmsCode.insert(
            SmsCode(
                phone_hash=phone_hash,
                code_hash=keys.code_hash(phone_hash, code),
                created_at=now,
                expires_at=now + CODE_TTL_SECONDS,
            )
        )
        message = SmsMessage(
            phone_encrypted=keys.encrypt(phone),
            body_encrypted=keys.encrypt(body),
            purpose="code",
            created_at=now,
        )
        await message.save()
    return message.id


async def verify_code(raw_phone: object, raw_code: object) -> VerifiedCitizen:
    phone = parse_mobile(raw_phone)
    code = _clean_code(raw_code)
    phone_hash = keyring().lookup_hash(phone)
    now = time.time()
    current = (
        await SmsCode.select(SmsCode.id, SmsCode.code_hash, SmsCode.expires_at)
        .where((SmsCode.phone_hash == phone_hash) & SmsCode.used_at.is_null())
        .order_by(SmsCode.id, ascending=False)
        .first()
    )
    if current is None or current["expires_at"] <= now:
        raise InvalidInput(_("The code has expired or was not requested. Please request a new code."))
    checked = await SmsCode.raw(
        "UPDATE sms_code SET attempts = attempts + 1 WHERE id = {} AND attempts < {} AND used_at IS NULL "
        "RETURNING attempts",
        current["id"],
        MAX_CHECKS_PER_CODE,
    )
    if not checked:
        raise InvalidInput(_("Too many wrong attempts. Please request a new code."))
    if not constant_time_equals(current["code_hash"], keyring().code_hash(phone_hash, code)):
        left = MAX_CHECKS_PER_CODE - checked[0]["attempts"]
        if left <= 0:
            raise InvalidInput(_("Too many wrong attempts. Please request a new code."))
        raise InvalidInput(_("The code is not correct. %(left)d attempts left.") % {"left": left}, attempts_left=left)
    consumed = await SmsCode.raw(
        "UPDATE sms_code SET used_at = {} WHERE id = {} AND used_at IS NULL RETURNING id", now, current["id"]
    )
    if not consumed:
        raise InvalidInput(_("This code has already been used. Please request a new code."))
    return await _citizen_for(phone, phone_hash, now)


def _clean_code(raw_code: object) -> str:
    if not isinstance(raw_code, str) or not raw_code.strip():
        raise InvalidInput(_("Please enter the verification code."))
    code = raw_code.strip()
    if len(code) != 6 or not code.isdigit():
        raise InvalidInput(_("The verification code is six digits."))
    return code


async def _citizen_for(phone: str, phone_hash: str, now: float) -> VerifiedCitizen:
    rows = await Citizen.raw(
        "INSERT INTO citizen (phone_hash, phone_encrypted, created_at, last_verified_at) VALUES ({}, {}, {}, {}) "
        "ON CONFLICT (phone_hash) DO UPDATE SET last_verified_at = excluded.last_verified_at RETURNING id",
        phone_hash,
        keyring().encrypt(phone),
        now,
        now,
    )
    return VerifiedCitizen(id=rows[0]["id"], phone_hash=phone_hash)


async def citizen_for_phone(raw_phone: str) -> VerifiedCitizen:
    """The citizen record for a number, created if new (demo data and tests set up citizens this way)."""
    phone = parse_mobile(raw_phone)
    return await _citizen_for(phone, keyring().lookup_hash(phone), time.time())


def issue_citizen_token(citizen: VerifiedCitizen) -> str:
    return CITIZEN_TOKEN_PREFIX + keyring().sign_token(f"citizen:{citizen.id}:{citizen.phone_hash}")


def citizen_from_token(token: str) -> VerifiedCitizen:
    if not token.startswith(CITIZEN_TOKEN_PREFIX):
        raise NotAuthenticated(_("The verification has expired. Please verify your phone again."))
    try:
        payload = keyring().read_token(token[len(CITIZEN_TOKEN_PREFIX) :], max_age=CITIZEN_TOKEN_TTL_SECONDS)
    except InvalidToken:
        raise NotAuthenticated(_("The verification has expired. Please verify your phone again.")) from None
    _kind, citizen_id, phone_hash = payload.split(":", 2)
    return VerifiedCitizen(id=int(citizen_id), phone_hash=phone_hash)


async def citizen_phone(citizen_id: int) -> str:
    """The citizen's number in clear, for staff of the responsible department and for notifications."""
    row = await Citizen.select(Citizen.phone_encrypted).where(Citizen.id == citizen_id).first()
    if row is None:
        raise InvalidInput("unknown citizen")
    return keyring().decrypt(row["phone_encrypted"])
