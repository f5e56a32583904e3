"""Time, in one place: stored in UTC, shown in Asia/Shanghai, machine-readable values valid HTML.

The rule for naive values: **a datetime without a time zone is UTC.** What the databases hand back
was checked on both engines (Piccolo 1.38): a ``Timestamptz`` column always comes back aware, in
UTC, on SQLite (Piccolo's converter reads it as UTC) and on PostgreSQL (asyncpg), also through
joins, aliases and ``RETURNING``. SQLite returns aggregates such as ``MAX(created_at)`` as ISO
strings ("2026-03-09 23:30:00+00:00"), which every function here accepts. Naive values must not be
written: Piccolo's SQLite adapter stores them as UTC but asyncpg reads them as the server process's
local time, so the two engines would disagree. Write ``now()`` or ``aware(...)``.

A time a person typed without an offset (an ``<input type="datetime-local">``, an API value such
as "2030-01-01T18:00") is wall-clock time in Beijing: ``from_local`` reads it.

Templates use these through the filters and the ``time_tag`` global of ``engagement.templating``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from markupsafe import Markup

LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")
# Named formats for people; "input" is the value of an <input type="datetime-local">.
FORMATS = {
    "date": "%Y-%m-%d",
    "datetime": "%Y-%m-%d %H:%M",
    "seconds": "%Y-%m-%d %H:%M:%S",
    "time": "%H:%M",
    "month": "%Y-%m",
    "input": "%Y-%m-%dT%H:%M",
}

Moment = datetime | date | str


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in Beijing."""
    return now().astimezone(LOCAL_TIMEZONE).date()


def _parse(value: Moment) -> datetime | date:
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    return value


def _with_zone(value: datetime | str | None, naive_zone: tzinfo) -> datetime | None:
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value.strip()) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise TypeError(f"a date has no time of day: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_zone)
    return moment.astimezone(UTC)


def aware(value: datetime | str | None) -> datetime | None:
    """``value`` as an aware datetime in UTC (naive means UTC; ISO strings are parsed); None stays None."""
    return _with_zone(value, UTC)


def from_local(value: datetime | str | None) -> datetime | None:
    """A time typed by a person as an aware datetime in UTC: naive means Beijing wall-clock time."""
    return _with_zone(value, LOCAL_TIMEZONE)


def local(value: datetime | str | None) -> datetime | None:
    """``value`` in Beijing time (naive means UTC)."""
    moment = aware(value)
    return moment.astimezone(LOCAL_TIMEZONE) if moment is not None else None


def local_date(value: Moment | None) -> date | None:
    """The date in Beijing at ``value``; a ``date`` is returned as it is (it has no time zone)."""
    if value is None or value == "":
        return None
    moment = _parse(value)
    if isinstance(moment, datetime):
        return local(moment).date()
    return moment


def display(value: Moment | None, format: str = "datetime") -> str:
    """``value`` as people read it: Beijing time in one of ``FORMATS``; "" for no value."""
    if value is None or value == "":
        return ""
    moment = _parse(value)
    if isinstance(moment, datetime):
        moment = local(moment)
    return moment.strftime(FORMATS[format])


def machine_datetime(value: Moment | None) -> str:
    """The value of an HTML ``datetime`` attribute: "2026-03-10T07:30:00+08:00" or, for a date, "2026-03-10".

    Whole seconds with the offset: the HTML standard allows at most three fractional digits, and
    Python's ``isoformat()`` writes six.
    """
    if value is None or value == "":
        return ""
    moment = _parse(value)
    if isinstance(moment, datetime):
        return local(moment).isoformat(timespec="seconds")
    return moment.isoformat()


def time_tag(value: Moment | None, format: str = "datetime") -> Markup:
    """``<time datetime="…">…</time>`` for ``value`` (empty markup for no value); both parts are escaped."""
    if value is None or value == "":
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(machine_datetime(value), display(value, format))

