"""The three kinds of connector error, converted once at the connector edge.

::

    ConnectorError            endpoint, status and the API's own message; never credentials
    ├── FatalError            stop this job's sync: bad credentials, permissions, a
    │                         4xx that repeating will not fix, retries exhausted
    ├── RetriableError        try again later: 429, 5xx, timeouts, resets
    │                         (``retry_after`` seconds when the API said so)
    └── SkippableError        one record or target failed (a closed ticket, a field
                              missing from a screen): report it and go on
"""

from __future__ import annotations


class ConnectorError(Exception):
    """An error from a helpdesk API, with where it happened and what the API said."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.endpoint = endpoint
        self.status = status
        self.source = source
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                f"source '{self.source}':" if self.source else "",
                self.endpoint or "",
                f"-> {self.status}" if self.status is not None else "",
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message


class FatalError(ConnectorError):
    """Repeating the call will not help; the job's sync stops with this message."""


class RetriableError(ConnectorError):
    """A passing failure: rate limit, server error, timeout or reset."""

    def __init__(self, message: str, *, retry_after: float | None = None, **where) -> None:
        self.retry_after = retry_after
        super().__init__(message, **where)


class SkippableError(ConnectorError):
    """One record or target failed; the rest of the sync goes on."""
