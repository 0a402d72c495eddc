"""Windows, periods and working time: the calendar arithmetic of the engine (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from evm_sync.config import WindowConfig
from evm_sync.model import Window

PERIOD_LENGTH = {"day": timedelta(days=1), "week": timedelta(days=7)}


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of ``day`` in ``zone``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def end_of_date(day: date, zone: ZoneInfo) -> datetime:
    """A date without a time ends at the next midnight of the job's time zone."""
    return local_midnight(day + timedelta(days=1), zone)


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    return local_midnight(value, zone)


def resolve_window(config: WindowConfig, as_of: datetime, zone: ZoneInfo) -> Window:
    """The window of ``config`` that ``as_of`` falls in (``fixed``: the configured one).

    ``month`` and ``week`` are the calendar month and ISO week (Monday first) in the
    job's zone; ``rolling`` is ``days`` days ending at the next local midnight.
    """
    today = as_of.astimezone(zone).date()
    if config.kind == "fixed":
        assert config.start is not None and config.end is not None
        return Window(_instant(config.start, zone), _instant(config.end, zone))
    if config.kind == "month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Window(local_midnight(first, zone), local_midnight(following, zone))
    if config.kind == "week":
        monday = today - timedelta(days=today.weekday())
        return Window(local_midnight(monday, zone), local_midnight(monday + timedelta(7), zone))
    assert config.days is not None
    end_day = today + timedelta(days=1)
    return Window(
        local_midnight(end_day - timedelta(days=config.days), zone),
        local_midnight(end_day, zone),
    )


def working_seconds(start: datetime, end: datetime, calendar: str, zone: ZoneInfo) -> float:
    """Seconds of working time in ``[start, end)``: all of it for ``calendar``,
    Monday to Friday (local days of ``zone``) for ``weekdays``."""
    if end <= start:
        return 0.0
    if calendar == "calendar":
        return (end - start).total_seconds()
    total = 0.0
    day = start.astimezone(zone).date()
    while True:
        day_start = max(local_midnight(day, zone), start)
        day_end = min(local_midnight(day + timedelta(days=1), zone), end)
        if day_start >= end:
            return total
        if day.weekday() < 5 and day_end > day_start:
            total += (day_end - day_start).total_seconds()
        day += timedelta(days=1)


def period_boundaries(window: Window, period: str) -> tuple[list[datetime], float]:
    """Instants ending each period (the first is the window start) and the planned
    duration PD in periods; a last partial period ends at the window end."""
    length = PERIOD_LENGTH[period]
    planned = (window.end - window.start) / length
    boundaries = [window.start]
    while boundaries[-1] + length < window.end:
        boundaries.append(boundaries[-1] + length)
    boundaries.append(window.end)
    return boundaries, planned
