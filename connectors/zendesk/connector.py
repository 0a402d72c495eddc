"""The Zendesk connector: the ``Connector`` protocol over one Zendesk account.

Streams: ``tickets`` (the cursor export, normalized) and ``time_entries`` (Time
Tracking entries from the ticket event export). Job scope filters are applied by the
sync on stored tickets: the exports have no filter, so ``scope`` is accepted unused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from connectors.base import (
    Bookmark,
    FieldReport,
    FieldSpec,
    Page,
    Scope,
    Target,
    Write,
    WriteResult,
)
from connectors.errors import FatalError
from connectors.retry import QuotaGate, limits_from
from connectors.zendesk.client import ClientSettings, ZendeskClient, base_url_for
from connectors.zendesk.fields import FieldCatalog, find_field
from connectors.zendesk.normalize import TicketContext, normalize_page
from connectors.zendesk.pull import event_pages, ticket_pages
from connectors.zendesk.push import FieldWriter, JobPolling
from connectors.zendesk.time_tracking import TimeFieldIds, worklogs_of_page

log = logging.getLogger(__name__)

NUMERIC_TYPES = frozenset({"decimal", "integer"})
DEFAULT_TIME_FIELDS: Mapping[str, str] = {
    "total": "Total time spent (sec)",
    "last_update": "Time spent last update (sec)",
}


class ZendeskConnector:
    """One configured Zendesk source."""

    streams: tuple[str, ...] = ("tickets", "time_entries")

    def __init__(
        self,
        name: str,
        client: ZendeskClient,
        *,
        start: datetime | None = None,
        estimate_field: str | None = None,
        time_fields: Mapping[str, str] | None = None,
        per_page: int = 1000,
        polling: JobPolling | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.client = client
        self.start_time = int(start.timestamp()) if start is not None else 0
        self.estimate_field = estimate_field
        self.time_fields = {**DEFAULT_TIME_FIELDS, **(time_fields or {})}
        self.per_page = per_page
        self.catalog = FieldCatalog(client, clock=clock)
        self.writer = FieldWriter(client, self.catalog, polling or JobPolling(sleep=time.sleep))

    @classmethod
    def from_options(
        cls,
        name: str,
        options: Mapping[str, Any],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> ZendeskConnector:
        """Build from a source's validated options (see ``connectors.create``)."""
        policy, gate = limits_from(name, options, sleep=sleep, clock=clock)
        export_limit = options.get("export_per_minute")
        export_gate = (
            QuotaGate(gate.share, limit=float(export_limit), clock=clock, sleep=sleep,
                      on_wait=gate.on_wait)
            if export_limit
            else None
        )  # fmt: skip
        settings = ClientSettings(
            source=name,
            base_url=base_url_for(options.get("subdomain"), options.get("url")),
            email=str(options["email"]),
            token=str(options["token"]),
            timeout=float(options.get("timeout", 30.0)),
        )
        start = options.get("start")
        if isinstance(start, date) and not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day, tzinfo=UTC)
        elif isinstance(start, datetime) and start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        return cls(
            name,
            ZendeskClient(settings, policy, gate, export_gate),
            start=start,
            estimate_field=options.get("estimate_field"),
            time_fields=options.get("time_fields"),
            per_page=int(options.get("per_page", 1000)),
            polling=JobPolling(sleep=sleep),
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"ZendeskConnector(name={self.name!r}, client={self.client!r})"

    # -- pull -------------------------------------------------------------------------

    def pull(self, stream: str, bookmark: Bookmark | None, scope: Scope) -> Iterator[Page]:
        """Pages of ``stream`` changed since ``bookmark``; each carries its bookmark."""
        if stream == "tickets":
            return self._tickets(bookmark)
        if stream == "time_entries":
            return self._time_entries(bookmark)
        raise ValueError(f"source '{self.name}': unknown stream '{stream}' ({self.streams})")

    def _tickets(self, bookmark: Bookmark | None) -> Iterator[Page]:
        ctx = TicketContext(self.name, self._estimate_field_id())
        for raw in ticket_pages(
            self.client, bookmark, start_time=self.start_time, per_page=self.per_page
        ):
            tickets, problems = normalize_page(raw.body, ctx)
            for problem in problems:
                log.warning("%s", problem)
            yield Page(stream="tickets", bookmark=raw.bookmark, tickets=tickets)

    def _time_entries(self, bookmark: Bookmark | None) -> Iterator[Page]:
        ids = self._time_field_ids()
        for raw in event_pages(self.client, bookmark, start_time=self.start_time):
            worklogs, problems = worklogs_of_page(raw.body, ids, self.name)
            for problem in problems:
                log.warning("%s", problem)
            yield Page(stream="time_entries", bookmark=raw.bookmark, worklogs=worklogs)

    def _field_id(self, ref: str, option: str, *, numeric: bool) -> int:
        field = find_field(self.catalog.ticket_fields(), ref)
        if field is None:
            raise FatalError(
                f"{option} '{ref}' names no ticket field (by id or title)",
                endpoint="GET /api/v2/ticket_fields.json",
                source=self.name,
            )
        if numeric and field.type not in NUMERIC_TYPES:
            raise FatalError(
                f"{option} '{ref}' is a {field.type} field; a numeric one is needed",
                endpoint="GET /api/v2/ticket_fields.json",
                source=self.name,
            )
        return field.id

    def _estimate_field_id(self) -> int | None:
        if not self.estimate_field:
            return None
        return self._field_id(self.estimate_field, "estimate_field", numeric=True)

    def _time_field_ids(self) -> TimeFieldIds:
        return TimeFieldIds(
            total=self._field_id(self.time_fields["total"], "time_fields.total", numeric=False),
            last_update=self._field_id(
                self.time_fields["last_update"], "time_fields.last_update", numeric=False
            ),
        )

    # -- push -------------------------------------------------------------------------

    def read(
        self, targets: Sequence[Target], fields: Sequence[str]
    ) -> dict[Target, dict[str, Any]]:
        return self.writer.read(targets, fields)

    def push(self, writes: Sequence[Write]) -> list[WriteResult]:
        return self.writer.push(writes)

    def ensure_fields(self, specs: Sequence[FieldSpec], create: bool) -> list[FieldReport]:
        return self.catalog.ensure(specs, create)

    # -- housekeeping -----------------------------------------------------------------

    def request_counts(self) -> dict[str, int]:
        return self.client.request_counts()

    def close(self) -> None:
        self.client.close()
