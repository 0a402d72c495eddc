"""The two incremental exports, page by page, each page with the bookmark valid after it.

Tickets: ``GET /api/v2/incremental/tickets/cursor.json``, first with ``start_time``,
then with ``cursor``, to ``end_of_stream``, with ``include=metric_sets,slas`` (the
metrics sideloaded beside the tickets, the SLA targets inline as ``ticket.slas``).
The bookmark is ``{"after_cursor", "generated_timestamp"}`` (the latest
``generated_timestamp`` seen): the cursor resumes; should Zendesk refuse it, the
export restarts from the timestamp.

Time entries: ``GET /api/v2/incremental/ticket_events.json`` is time-based only:
``start_time``, then the page's ``end_time``, to ``end_of_stream``. The bookmark is
``{"start_time": end_time}``; pages may overlap at their edge, and the entries'
stable ids make that harmless.

Both refuse a page token that does not move (a loop), and neither keeps state
between calls: the caller stores each bookmark with its page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.base import Bookmark
from connectors.errors import FatalError
from connectors.zendesk.client import ZendeskClient

TICKETS_PATH = "/api/v2/incremental/tickets/cursor.json"
EVENTS_PATH = "/api/v2/incremental/ticket_events.json"
STALE_CURSOR_STATUSES = frozenset({400, 404, 422})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawPage:
    """One export response body and the bookmark to store once it is stored."""

    body: Mapping[str, Any]
    bookmark: Bookmark


class _Guard:
    """Refuses a page token seen before: the export would loop."""

    def __init__(self, what: str, source: str) -> None:
        self.what, self.source = what, source
        self.seen: set[Any] = set()

    def check(self, token: Any) -> None:
        if token in self.seen:
            raise FatalError(
                f"the {self.what} export returned {token!r} again without end_of_stream",
                endpoint=f"GET {TICKETS_PATH if self.what == 'ticket' else EVENTS_PATH}",
                source=self.source,
            )
        self.seen.add(token)


def _latest_generated(body: Mapping[str, Any], previous: int | None) -> int | None:
    stamps = [
        t["generated_timestamp"]
        for t in body.get("tickets") or ()
        if isinstance(t, Mapping) and isinstance(t.get("generated_timestamp"), int)
    ]
    return max([*stamps, *([previous] if previous is not None else [])], default=None)


def ticket_pages(
    client: ZendeskClient, bookmark: Bookmark | None, *, start_time: int, per_page: int
) -> Iterator[RawPage]:
    """The cursor export from ``bookmark`` (else ``start_time``) to ``end_of_stream``."""
    bookmark = bookmark or {}
    cursor = bookmark.get("after_cursor")
    generated = bookmark.get("generated_timestamp")
    base = {"include": "metric_sets,slas", "per_page": per_page}
    guard = _Guard("ticket", client.settings.source)
    while True:
        if cursor:
            guard.check(cursor)
            try:
                body = client.get_json(TICKETS_PATH, {**base, "cursor": cursor})
            except FatalError as error:
                if error.status not in STALE_CURSOR_STATUSES or generated is None:
                    raise
                log.warning(
                    "source '%s': cursor refused (%s), restarting from generated_timestamp %s",
                    client.settings.source,
                    error.message,
                    generated,
                )
                cursor = None
                body = client.get_json(TICKETS_PATH, {**base, "start_time": generated})
        else:
            since = generated if generated is not None else start_time
            body = client.get_json(TICKETS_PATH, {**base, "start_time": since})
        generated = _latest_generated(body, generated)
        cursor = body.get("after_cursor") or cursor
        yield RawPage(body, {"after_cursor": cursor, "generated_timestamp": generated})
        if body.get("end_of_stream") or not body.get("after_cursor"):
            return


def event_pages(
    client: ZendeskClient, bookmark: Bookmark | None, *, start_time: int
) -> Iterator[RawPage]:
    """The ticket event export from ``bookmark`` (else ``start_time``) to its end."""
    since = int((bookmark or {}).get("start_time", start_time))
    guard = _Guard("ticket event", client.settings.source)
    while True:
        guard.check(since)
        body = client.get_json(EVENTS_PATH, {"start_time": since})
        end_time = body.get("end_time")
        next_since = int(end_time) if isinstance(end_time, int | float) else since
        yield RawPage(body, {"start_time": next_since})
        if body.get("end_of_stream") or (next_since == since and not body.get("ticket_events")):
            return
        since = next_since
