"""The ``issues`` stream: bounded, ordered JQL searches resumed from a bookmark.

Jira reads JQL dates to the minute in the API user's time zone, and Cloud search is
eventually consistent, so each search starts ``overlap`` before the bookmark and
skips what the bookmark says was already stored: the (id, updated) pairs of the
overlap window before the newest ``updated`` seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from connectors.base import Bookmark, Page
from connectors.errors import FatalError
from connectors.jira.client import JiraClient
from connectors.jira.normalize import BadRecord, IssueFields, issue_to_ticket, parse_time
from evm_sync.model import Ticket

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


@dataclass(frozen=True)
class IssueBookmark:
    """The newest ``updated`` stored (UTC) and the (id, updated) pairs stored in the
    overlap window before it."""

    updated: datetime | None = None
    seen: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def load(cls, raw: Bookmark | None, source: str | None = None) -> IssueBookmark:
        if not raw:
            return cls()
        try:
            updated = (
                parse_time(raw["updated"], "bookmark 'updated'") if raw.get("updated") else None
            )
            seen = frozenset((str(i), str(u)) for i, u in raw.get("seen") or ())
        except (BadRecord, KeyError, TypeError, ValueError) as error:
            message = f"the issues bookmark is not one of ours: {error}"
            raise FatalError(message, source=source) from None
        return cls(updated, seen)

    def dump(self) -> dict[str, Any]:
        return {
            "updated": self.updated.isoformat() if self.updated else None,
            "seen": sorted([i, u] for i, u in self.seen),
        }

    def is_new(self, ticket: Ticket) -> bool:
        return (ticket.id, _stamp(ticket.updated_at)) not in self.seen

    def advance(self, tickets: Iterable[Ticket], overlap: timedelta) -> IssueBookmark:
        pairs = set(self.seen)
        newest = self.updated
        for ticket in tickets:
            if ticket.updated_at is None:
                continue
            pairs.add((ticket.id, _stamp(ticket.updated_at)))
            newest = ticket.updated_at if newest is None else max(newest, ticket.updated_at)
        if newest is None:
            return self
        floor = newest - overlap - timedelta(minutes=1)
        kept = frozenset(p for p in pairs if datetime.fromisoformat(p[1]) >= floor)
        return IssueBookmark(newest, kept)


def _stamp(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def jql_minute(instant: datetime, zone: tzinfo) -> str:
    """``"yyyy-MM-dd HH:mm"`` in ``zone``, rounded down to the minute."""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def without_order_by(jql: str) -> str:
    """The JQL without its ORDER BY clause (an ``order by`` inside quotes is text)."""
    for match in _ORDER_BY.finditer(jql):
        before = jql[: match.start()]
        if before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
            return before.strip()
    return jql.strip()


def bounded_jql(scope_jql: str | None, since: datetime, zone: tzinfo) -> str:
    """The job's JQL (its own ORDER BY dropped), bounded by ``updated >= since``."""
    bound = f'updated >= "{jql_minute(since, zone)}"'
    user = without_order_by(scope_jql or "")
    where = f"({user}) AND {bound}" if user else bound
    return f"{where} ORDER BY updated ASC"


def search_cloud(
    client: JiraClient, jql: str, fields: list[str], page_size: int
) -> Iterator[list[Mapping[str, Any]]]:
    """Pages of ``search/jql`` followed by ``nextPageToken`` to ``isLast`` (no ``total``)."""
    token: str | None = None
    used: set[str] = set()
    endpoint = f"GET {client.api}/search/jql"
    while True:
        result = client.library(
            lambda token=token: client.jira.enhanced_search_issues(
                jql,
                nextPageToken=token,
                maxResults=page_size,
                fields=list(fields),
                json_result=True,
            ),
        )
        if not isinstance(result, Mapping):
            raise FatalError(
                "search did not answer a page", endpoint=endpoint, source=client.source
            )
        yield list(result.get("issues") or [])
        token = result.get("nextPageToken") or None
        if result.get("isLast") or not token:
            return
        if token in used:
            raise FatalError(
                "search returned a nextPageToken it had already given",
                endpoint=endpoint,
                source=client.source,
            )
        used.add(token)


def search_datacenter(
    client: JiraClient, jql: str, fields: list[str], page_size: int
) -> Iterator[list[Mapping[str, Any]]]:
    """Pages of ``/rest/api/2/search`` by ``startAt`` until ``total``."""
    start = 0
    while True:
        params = {"jql": jql, "startAt": start, "maxResults": page_size, "fields": ",".join(fields)}
        result = client.request("GET", "/rest/api/2/search", params=params)
        issues = list(result.get("issues") or [])
        yield issues
        start += len(issues)
        if not issues or start >= int(result.get("total") or 0):
            return


def search(
    client: JiraClient, jql: str, fields: list[str], page_size: int
) -> Iterator[list[Mapping[str, Any]]]:
    pager = search_cloud if client.cloud else search_datacenter
    return pager(client, jql, fields, page_size)


def pull_issues(
    client: JiraClient,
    bookmark: IssueBookmark,
    scope_jql: str | None,
    *,
    extra: IssueFields,
    start: datetime | None,
    overlap: timedelta,
    page_size: int,
) -> Iterator[Page]:
    """Yield one ``Page`` of new or changed tickets per search page."""
    since = (bookmark.updated - overlap) if bookmark.updated else (start or EPOCH)
    jql = bounded_jql(scope_jql, since, client.zone)
    for issues in search(client, jql, extra.requested(), page_size):
        try:
            tickets = [issue_to_ticket(client.source, issue, extra) for issue in issues]
        except BadRecord as error:
            raise FatalError(str(error), endpoint="search", source=client.source) from None
        fresh = tuple(t for t in tickets if bookmark.is_new(t))
        bookmark = bookmark.advance(fresh, overlap)
        yield Page(stream="issues", tickets=fresh, bookmark=bookmark.dump())
