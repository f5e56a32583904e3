"""Staff login for both faces (``POST /api/v1/auth/login`` and the /login form).

Password guessing is throttled per account and per client address (IPv6: per /64), in 15-minute
windows (``ENGAGEMENT_LOGIN_FAILURES_PER_ACCOUNT``, ``..._PER_ADDRESS``). An attempt takes a slot
in both counters before the password is checked, so a burst of parallel guesses cannot get past
the limit, and a refused attempt costs no argon2 hash. A successful login gives the slots back.
Every failure is audited (``staff.login_failed``), never with the password.
"""

from __future__ import annotations

import math
import time

from engagement import accounts, audit, limits
from engagement.crypto import sha256_hex
from engagement.errors import NotAuthenticated, TooManyRequests
from engagement.i18n import _
from engagement.limits import Window
from engagement.settings import get_settings
from engagement.tables import StaffUser

LOGIN_WINDOW_SECONDS = 15 * 60


async def log_in(username: str, password: str, client_address: str, via: str) -> StaffUser:
    """The account for ``username`` and ``password``; 401 when wrong, 429 while throttled."""
    now = time.time()
    account, address = _windows(username, client_address)
    await _take_slots(account, address, now)
    try:
        user = await accounts.authenticate(username, password)
    except NotAuthenticated:
        await _audit_failure(username, client_address, via, account, address, now)
        raise
    await limits.clear(account, now)
    await limits.give_back(address, now)
    return user


def _windows(username: str, client_address: str) -> tuple[Window, Window]:
    settings = get_settings()
    return (
        Window(f"login:account:{sha256_hex(username)}", LOGIN_WINDOW_SECONDS, settings.login_failures_per_account),
        Window(f"login:address:{limits.address_group(client_address)}", LOGIN_WINDOW_SECONDS,
               settings.login_failures_per_address),
    )


async def _take_slots(account: Window, address: Window, now: float) -> None:
    if await limits.take(account, now) is None:
        raise _throttled(account, now)
    if await limits.take(address, now) is None:
        await limits.give_back(account, now)
        raise _throttled(address, now)


def _throttled(window: Window, now: float) -> TooManyRequests:
    retry_after = window.retry_after(now)
    return TooManyRequests(
        _("Too many failed logins. Please try again in %(minutes)d minutes.") % {"minutes": math.ceil(retry_after / 60)},
        retry_after=retry_after,
    )


async def _audit_failure(username: str, client_address: str, via: str, account: Window, address: Window,
                         now: float) -> None:
    known = await StaffUser.select(StaffUser.id).where(StaffUser.username == username).first()
    # A name that is no account may be a password typed into the wrong field: it is not kept.
    detail: dict[str, object] = {"via": via, "username": username if known else None}
    throttled = [name for name, window in (("account", account), ("address", address))
                 if await limits.current(window, now) >= window.limit]
    if throttled:
        detail["throttled"] = throttled
    await audit.record(None, "staff.login_failed", "staff_user", known["id"] if known else "", detail,
                       client_address, actor_name="anonymous")
