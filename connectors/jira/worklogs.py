"""The ``worklogs`` stream, never from the 20 worklogs embedded in an issue.

Cloud: ``worklog/updated`` (ids, 1000 a page) -> ``worklog/list`` (1000 ids a call),
then ``worklog/deleted``. Data Center: each issue updated since the bookmark has its
worklogs read in full (``/issue/{id}/worklog``), deletions from ``worklog/deleted``.
Bookmark: ``{"since": ms, "deleted_since": ms}`` (Jira's own clock, UNIX ms).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.base import Bookmark, Page
from connectors.errors import FatalError
from connectors.jira.client import JiraClient
from connectors.jira.normalize import BadRecord, parse_time, worklog_to_model
from connectors.jira.pull import bounded_jql, search_datacenter
from evm_sync.model import Worklog

LIST_LIMIT = 1000


def to_ms(instant: datetime) -> int:
    return int(instant.astimezone(UTC).timestamp() * 1000)


def load_bookmark(raw: Bookmark | None, start: datetime | None) -> tuple[int, int]:
    first = to_ms(start) if start else 0
    if not raw:
        return first, first
    try:
        since = int(raw.get("since", first))
        return since, int(raw.get("deleted_since", since))
    except (TypeError, ValueError):
        raise FatalError(f"the worklogs bookmark is not one of ours: {dict(raw)!r}") from None


def next_since(page: Mapping[str, Any], since: int) -> int:
    """Where the next call starts: ``nextPage``'s own ``since`` while pages follow;
    after a non-empty last page, just past its newest change (``until``), since
    Jira withholds only the last minute and everything older was on this page."""
    if page.get("nextPage"):
        query = parse_qs(urlsplit(str(page["nextPage"])).query)
        if query.get("since"):
            return int(query["since"][0])
    times = [int(v["updatedTime"]) for v in page.get("values") or () if "updatedTime" in v]
    until = page.get("until")
    newest = int(until) if until is not None else max(times, default=since)
    if times and page.get("lastPage", True):
        return max(since, newest + 1)
    return max(since, newest)


def changed_pages(client: JiraClient, what: str, since: int) -> Iterator[tuple[list[str], int]]:
    """Pages of ``worklog/updated`` or ``worklog/deleted``: (ids, since for the next call)."""
    path = f"{client.api}/worklog/{what}"
    while True:
        page = client.request("GET", path, params={"since": since})
        ids = [str(v["worklogId"]) for v in page.get("values") or () if "worklogId" in v]
        following = next_since(page, since)
        yield ids, following
        if page.get("lastPage", True) or not page.get("values"):
            return
        if following <= since:
            raise FatalError(
                f"worklog/{what} gave no later 'since' after {since}",
                endpoint=f"GET {path}",
                source=client.source,
            )
        since = following


def _normalize(
    client: JiraClient, entries: Sequence[Mapping[str, Any]], endpoint: str
) -> list[Worklog]:
    try:
        return [worklog_to_model(client.source, entry) for entry in entries]
    except BadRecord as error:
        raise FatalError(str(error), endpoint=endpoint, source=client.source) from None


def fetch_by_ids(client: JiraClient, ids: Sequence[str]) -> list[Worklog]:
    """``worklog/list`` in calls of at most 1000 ids."""
    path = f"{client.api}/worklog/list"
    out: list[Worklog] = []
    for at in range(0, len(ids), LIST_LIMIT):
        chunk = [int(i) for i in ids[at : at + LIST_LIMIT]]
        entries = client.request("POST", path, body={"ids": chunk}) or []
        out += _normalize(client, entries, f"POST {path}")
    return out


def issue_worklogs(client: JiraClient, issue_id: str) -> list[Worklog]:
    """Every worklog of one issue, by ``startAt`` pages."""
    path = f"{client.api}/issue/{issue_id}/worklog"
    out: list[Worklog] = []
    start = 0
    while True:
        page = client.request("GET", path, params={"startAt": start, "maxResults": 1000})
        entries = [
            dict(e, issueId=e.get("issueId") or issue_id) for e in page.get("worklogs") or ()
        ]
        out += _normalize(client, entries, f"GET {path}")
        start += len(entries)
        if not entries or start >= int(page.get("total") or 0):
            return out


def deleted_pages(client: JiraClient, since: int, deleted_since: int) -> Iterator[Page]:
    for ids, following in changed_pages(client, "deleted", deleted_since):
        bookmark = {"since": since, "deleted_since": following}
        yield Page(stream="worklogs", deleted_worklog_ids=tuple(ids), bookmark=bookmark)


def pull_worklogs_cloud(
    client: JiraClient, raw: Bookmark | None, *, start: datetime | None
) -> Iterator[Page]:
    since, deleted_since = load_bookmark(raw, start)
    for ids, following in changed_pages(client, "updated", since):
        worklogs = fetch_by_ids(client, ids)
        since = following
        bookmark = {"since": since, "deleted_since": deleted_since}
        yield Page(stream="worklogs", worklogs=tuple(worklogs), bookmark=bookmark)
    yield from deleted_pages(client, since, deleted_since)


def pull_worklogs_datacenter(
    client: JiraClient,
    raw: Bookmark | None,
    scope_jql: str | None,
    *,
    start: datetime | None,
    overlap: timedelta,
    page_size: int,
) -> Iterator[Page]:
    """Worklogs of the issues updated since the bookmark (less the overlap)."""
    since, deleted_since = load_bookmark(raw, start)
    lower = datetime.fromtimestamp(since / 1000, UTC) - (overlap if raw else timedelta(0))
    jql = bounded_jql(scope_jql, lower, client.zone)
    for issues in search_datacenter(client, jql, ["updated"], page_size):
        worklogs: list[Worklog] = []
        for issue in issues:
            worklogs += issue_worklogs(client, str(issue["id"]))
            updated = (issue.get("fields") or {}).get("updated")
            if updated:
                since = max(since, to_ms(parse_time(updated, f"issue {issue['id']} 'updated'")))
        bookmark = {"since": since, "deleted_since": deleted_since}
        yield Page(stream="worklogs", worklogs=tuple(worklogs), bookmark=bookmark)
    yield from deleted_pages(client, since, deleted_since)
