"""The sandbox clock and the two timestamp formats the helpdesks speak."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 instant ("Z" or an offset); a naive value is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def epoch_of(when: datetime | float) -> int:
    """Epoch seconds of a datetime (naive: UTC) or of a number already in seconds."""
    if isinstance(when, datetime):
        return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    return int(when)


def zendesk_time(epoch: int) -> str:
    """Zendesk's format: 2026-11-20T12:00:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def jira_time(epoch: float) -> str:
    """Jira's format: 2026-11-20T12:00:00.000+0000."""
    value = datetime.fromtimestamp(epoch, UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_jira_time(text: str) -> float:
    """Inverse of jira_time, also accepting any offset Jira clients send."""
    value = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    return value.timestamp()


class Clock:
    """A clock that stands still unless advanced, so runs are reproducible."""

    def __init__(self, now: datetime) -> None:
        self._now = now.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def epoch(self) -> int:
        return int(self.now().timestamp())

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, now: datetime) -> None:
        with self._lock:
            if now < self._now:
                raise ValueError("the sandbox clock only moves forward")
            self._now = now.astimezone(UTC)
