"""Citizen verification by SMS code (DESIGN sections 4 and 5).

Codes: six digits from a CSPRNG, stored as a keyed hash, single use, valid five
minutes, at most five checks. Sends: only to the regions of ``ENGAGEMENT_SMS_REGIONS``;
hourly and daily caps per client address (IPv6: per /64), a global hourly budget
(``ENGAGEMENT_SMS_HOURLY_BUDGET``, toll-fraud guard), one per phone per minute and a
daily cap per phone. All counters are atomic SQL statements, so several web processes
and concurrent requests share them, and they are charged in one transaction with the
code itself: a refused request charges nothing, so nobody can use up another's limits.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import phonenumbers

from engagement import audit, limits
from engagement.crypto import InvalidToken, constant_time_equals, keyring
from engagement.db import unit_of_work
from engagement.errors import InvalidInput, NotAuthenticated, TooManyRequests
from engagement.i18n import _
from engagement.limits import Window
from engagement.phones import parse_mobile
from engagement.settings import get_settings
from engagement.tables import Citizen, SmsCode, SmsCooldown

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


class SmsBudgetExhausted(TooManyRequests):
    """The hourly budget of the whole site is used up."""


async def request_code(raw_phone: object, client_address: str) -> CodeSent:
    phone = parse_mobile(raw_phone)
    _require_allowed_region(phone)
    phone_hash = keyring().lookup_hash(phone)
    client_hash = keyring().lookup_hash(f"client:{limits.address_group(client_address)}")
    now = time.time()
    code = f"{secrets.randbelow(1_000_000):06d}"
    try:
        async with unit_of_work():
            # The client's caps first: a client over them never reaches the phone's counters.
            await _charge(Window(f"sms:client:{client_hash}", HOUR, CLIENT_HOURLY_CAP), now)
            await _charge(Window(f"sms:client-day:{client_hash}", DAY, CLIENT_DAILY_CAP), now)
            await _charge_budget(now)
            await _claim_cooldown(phone_hash, now)
            await _charge(Window(f"sms:phone:{phone_hash}", DAY, PHONE_DAILY_CAP), now)
            await _store_code_and_send(phone, phone_hash, code, now)
    except SmsBudgetExhausted:
        await _alert_budget_exhausted(now)  # after the rollback, so the alert stays
        raise
    return CodeSent(expires_in=CODE_TTL_SECONDS, resend_after=RESEND_AFTER_SECONDS)


def _require_allowed_region(phone: str) -> None:
    """Codes go only to the configured regions: SMS pumping sends codes to premium numbers abroad."""
    region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    if region not in get_settings().sms_regions:
        raise InvalidInput(_("Verification codes cannot be sent to mobile numbers of this country or region."))


async def _charge(window: Window, now: float) -> None:
    await limits.take_or_refuse(window, now, _("Too many codes requested. Please try again later."))


async def _charge_budget(now: float) -> None:
    window = Window("sms:budget", HOUR, get_settings().sms_hourly_budget)
    if await limits.take(window, now) is None:
        raise SmsBudgetExhausted(_("Verification codes are paused for a while. Please try again later."),
                                 retry_after=window.retry_after(now))


async def _alert_budget_exhausted(now: float) -> None:
    """One audit entry per hour in which the budget ran out; the staff dashboard warns administrators."""
    if await limits.take(Window("sms:budget-alert", HOUR, 1), now) is not None:
        await audit.record(None, "sms.budget_exhausted", "sms", "", {"hourly_budget": get_settings().sms_hourly_budget})


async def budget_exhausted_now() -> bool:
    """Whether codes are refused this hour because the site's SMS budget ran out."""
    return await limits.current(Window("sms:budget-alert", HOUR, 1), time.time()) > 0


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


async def _store_code_and_send(phone: str, phone_hash: str, code: str, now: float) -> None:
    from engagement.notifications import send_sms

    keys = keyring()
    body = _("[Government Engagement] Your verification code is %(code)s, valid for 5 minutes.") % {"code": code}
    async with unit_of_work():
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
        await send_sms(body, purpose="code", phone=phone)


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
