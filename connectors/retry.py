"""The one retry policy and the quota gate, shared by every connector.

``retrying(policy)`` wraps a call: ``RetriableError`` is retried with exponential
backoff, or after the API's ``Retry-After`` when it gave one; a wait longer than the
cap, or too many attempts, ends in a ``FatalError`` that says so. Sleep and clock
are passed in, so tests never sleep.

``QuotaGate`` keeps a connector within its share of the account's per-minute quota,
read from the rate-limit headers of every response.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from connectors.errors import FatalError, RetriableError

T = TypeVar("T")
log = logging.getLogger("connectors.retry")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, backoff bounds and the longest wait accepted."""

    attempts: int = 6
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)


class _WaitRetryAfter(tenacity.wait.wait_base):
    """Wait what the API asked for (``Retry-After``), else back off exponentially."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.backoff = tenacity.wait_exponential(
            multiplier=policy.backoff_initial, max=policy.backoff_max
        )

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RetriableError) and error.retry_after is not None:
            if error.retry_after > self.policy.max_retry_after:
                raise _WaitTooLong(error)
            return max(0.0, error.retry_after)
        return self.backoff(retry_state)


class _WaitTooLong(Exception):
    def __init__(self, error: RetriableError) -> None:
        self.error = error


def retrying(policy: RetryPolicy, call: Callable[[], T], *, what: str = "request") -> T:
    """Run ``call`` under ``policy``; past the cap, raise a ``FatalError`` naming it."""
    retryer = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(RetriableError),
        wait=_WaitRetryAfter(policy),
        stop=tenacity.stop_after_attempt(policy.attempts),
        sleep=policy.sleep,
        reraise=True,
    )
    try:
        return retryer(call)
    except _WaitTooLong as too_long:
        error = too_long.error
        raise FatalError(
            f"{what} asked to wait {error.retry_after:.0f} s, more than the "
            f"{policy.max_retry_after:.0f} s cap (retry.max_retry_after): {error.message}",
            endpoint=error.endpoint,
            status=error.status,
            source=error.source,
        ) from error
    except RetriableError as error:
        raise FatalError(
            f"{what} still failing after {policy.attempts} attempts: {error.message}",
            endpoint=error.endpoint,
            status=error.status,
            source=error.source,
        ) from error


def limits_from(
    name: str,
    options: Mapping[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[RetryPolicy, QuotaGate]:
    """A source's retry policy (``retry`` option) and quota gate (``max_quota_share``)."""
    retry = options.get("retry") or {}
    policy = RetryPolicy(
        attempts=int(retry.get("attempts", RetryPolicy.attempts)),
        max_retry_after=float(retry.get("max_retry_after", RetryPolicy.max_retry_after)),
        sleep=sleep,
    )

    def on_wait(seconds: float) -> None:
        log.info("source '%s': keeping within the quota share, waiting %.1f s", name, seconds)

    share = float(options.get("max_quota_share", 0.5))
    return policy, QuotaGate(share, clock=clock, sleep=sleep, on_wait=on_wait)


def _header(headers: Mapping[str, str], *names: str) -> float | None:
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in names:
        raw = lowered.get(name.lower())
        if raw is None:
            continue
        try:
            return float(str(raw).split(";")[0].strip())
        except ValueError:
            continue
    return None


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds; None when absent or a date."""
    return _header(headers, "Retry-After")


class QuotaGate:
    """Keeps our requests within ``share`` of the per-minute quota the API announces
    (or of a ``limit`` given up front, for endpoints whose own limit no header names).

    ``observe(headers)`` learns the limit (``X-Rate-Limit`` for Zendesk,
    ``X-RateLimit-Limit`` for Jira) and what is left; ``before_request()`` sleeps
    when the requests of the last 60 s have used our share, or when the account has
    nothing left, until a request may go without taking more than the share.
    """

    WINDOW = 60.0

    def __init__(
        self,
        share: float = 0.5,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: Callable[[float], None] | None = None,
        limit: float | None = None,
    ) -> None:
        if not 0 < share <= 1:
            raise ValueError("max_quota_share must be in (0, 1]")
        self.share = share
        self.clock = clock
        self.sleep = sleep
        self.on_wait = on_wait
        self.limit: float | None = limit
        self.remaining: float | None = None
        self._sent: deque[float] = deque()

    def observe(self, headers: Mapping[str, str]) -> None:
        limit = _header(headers, "X-Rate-Limit", "X-RateLimit-Limit")
        remaining = _header(headers, "X-Rate-Limit-Remaining", "X-RateLimit-Remaining")
        if limit is not None and limit > 0:
            self.limit = limit
        if remaining is not None:
            self.remaining = remaining

    def allowed_per_minute(self) -> float | None:
        return None if self.limit is None else max(1.0, self.limit * self.share)

    def before_request(self) -> None:
        now = self.clock()
        while self._sent and now - self._sent[0] >= self.WINDOW:
            self._sent.popleft()
        wait = 0.0
        allowed = self.allowed_per_minute()
        if allowed is not None and len(self._sent) >= allowed:
            wait = self.WINDOW - (now - self._sent[0])
        elif self.remaining is not None and self.remaining <= 0 and self._sent:
            wait = self.WINDOW - (now - self._sent[-1])
        if wait > 0:
            if self.on_wait:
                self.on_wait(wait)
            self.sleep(wait)
            now = self.clock()
            self.remaining = None
            while self._sent and now - self._sent[0] >= self.WINDOW:
                self._sent.popleft()
        self._sent.append(now)
