"""Per-minute request budgets, as the two helpdesks enforce them.

Zendesk: an account budget per minute, and the incremental exports' own lower
budget; Jira: one budget per minute. Windows are fixed minutes on a monotonic
clock that `advance` can push forward, so tests never wait for a window.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """The outcome of one request's check against a bucket."""

    allowed: bool
    limit: int
    remaining: int
    reset_in: int  # seconds until the window resets


class Window:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.start = -math.inf
        self.used = 0

    def take(self, now: float) -> Budget:
        if now - self.start >= 60:
            self.start, self.used = now, 0
        reset_in = max(1, math.ceil(self.start + 60 - now))
        if self.used >= self.limit:
            return Budget(False, self.limit, 0, reset_in)
        self.used += 1
        return Budget(True, self.limit, self.limit - self.used, reset_in)


class RateLimiter:
    """Buckets "zendesk", "zendesk-export" and "jira"; None limits mean unlimited."""

    def __init__(
        self,
        per_minute: int | None = None,
        export_per_minute: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._offset = 0.0
        self._lock = threading.Lock()
        self.configure(per_minute, export_per_minute)

    def configure(self, per_minute: int | None, export_per_minute: int | None) -> None:
        for value in (per_minute, export_per_minute):
            if value is not None and value < 1:
                raise ValueError(f"rate limit must be a positive number, not {value}")
        with self._lock:
            self.per_minute = per_minute
            self.export_per_minute = export_per_minute
            self._windows: dict[str, Window] = {}

    @property
    def enabled(self) -> bool:
        return self.per_minute is not None

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def take(self, bucket: str) -> Budget | None:
        """Spend one request from `bucket`; None when limits are off."""
        limit = self.export_per_minute if bucket == "zendesk-export" else self.per_minute
        if limit is None:
            return None
        with self._lock:
            window = self._windows.setdefault(bucket, Window(limit))
            return window.take(self._clock() + self._offset)


def parse_rate_limit(text: str) -> tuple[int, int | None]:
    """'700' or '700/10' (account per minute / export per minute)."""
    try:
        parts = [int(p) for p in text.split("/")]
    except ValueError:
        raise ValueError(f"--rate-limit must look like 700 or 700/10, not {text!r}") from None
    if len(parts) not in (1, 2) or min(parts) < 1:
        raise ValueError(f"--rate-limit must look like 700 or 700/10, not {text!r}")
    return parts[0], parts[1] if len(parts) == 2 else None
