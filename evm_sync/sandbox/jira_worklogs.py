"""Jira worklog endpoints: per issue, and the incremental feeds (updated, deleted, list)."""

from __future__ import annotations

import bisect
from typing import Any

from evm_sync.sandbox.app import Call, Reply, jira_route
from evm_sync.sandbox.clock import parse_jira_time
from evm_sync.sandbox.jira_render import render_worklog
from evm_sync.sandbox.jira_store import JiraError
from evm_sync.sandbox.links import BASE

MAX_WORKLOG_PAGE = 1000


def issue_worklogs(call: Call, key: str) -> Reply:
    store = call.app.jira
    start = max(call.int_arg("startAt", 0), 0)
    size = min(max(call.int_arg("maxResults", 5000), 0), 5000)
    with store.lock:
        ids = store.issue_worklogs[store.issue(key)["key"]]
        page = [render_worklog(store.worklogs[w], call.version) for w in ids[start : start + size]]
        return Reply(
            body={"startAt": start, "maxResults": size, "total": len(ids), "worklogs": page}
        )


def add_issue_worklog(call: Call, key: str) -> Reply:
    body = call.json()
    seconds = body.get("timeSpentSeconds") if isinstance(body, dict) else None
    if not isinstance(seconds, int) or seconds <= 0:
        raise JiraError(400, [], {"timeLogged": "You must indicate the time spent working."})
    started = parse_jira_time(body["started"]) if body.get("started") else None
    comment = body.get("comment") or ""
    if isinstance(comment, dict):
        comment = " ".join(
            t.get("text", "") for p in comment.get("content", []) for t in p.get("content", [])
        )
    worklog = call.app.jira.add_worklog(key, seconds, started, comment=comment)
    return Reply(201, render_worklog(worklog, call.version))


def _changes(call: Call, entries: list[tuple[int, int]], path: str) -> Reply:
    """worklog/updated and worklog/deleted: ids changed since `since` (ms), 1000 a page,
    the last minute withheld."""
    since = max(call.int_arg("since", 0), 0)
    limit = call.app.jira.now_ms() - 60_000
    lo = bisect.bisect_left(entries, (since, -1))
    hi = bisect.bisect_right(entries, (limit, float("inf")))
    page = entries[lo : min(lo + MAX_WORKLOG_PAGE, max(lo, hi))]
    last = lo + len(page) >= hi
    until = page[-1][0] if page else since
    self_url = f"{BASE}/rest/api/{call.version}/worklog/{path}?since={since}"
    body: dict[str, Any] = {
        "values": [{"worklogId": w, "updatedTime": ms, "properties": []} for ms, w in page],
        "since": since,
        "until": until,
        "self": self_url,
        "lastPage": last,
    }
    if not last:
        body["nextPage"] = f"{BASE}/rest/api/{call.version}/worklog/{path}?since={until}"
    return Reply(body=body)


def worklogs_updated(call: Call) -> Reply:
    return _changes(call, call.app.jira.updated_index(), "updated")


def worklogs_deleted(call: Call) -> Reply:
    with call.app.jira.lock:
        entries = list(call.app.jira.deleted)
    return _changes(call, entries, "deleted")


def worklog_list(call: Call) -> Reply:
    body = call.json()
    ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, int | str) for i in ids):
        raise JiraError(400, ['The request body must be {"ids": [worklog ids]}.'])
    if len(ids) > MAX_WORKLOG_PAGE:
        raise JiraError(400, [f"The number of worklog ids must be at most {MAX_WORKLOG_PAGE}."])
    store = call.app.jira
    with store.lock:
        found = [store.worklogs.get(int(i)) for i in ids if str(i).isdigit()]
        return Reply(body=[render_worklog(w, call.version) for w in found if w is not None])


ROUTES = [
    jira_route("GET", "/issue/{key}/worklog", issue_worklogs),
    jira_route("POST", "/issue/{key}/worklog", add_issue_worklog),
    jira_route("GET", "/worklog/updated", worklogs_updated),
    jira_route("GET", "/worklog/deleted", worklogs_deleted),
    jira_route("POST", "/worklog/list", worklog_list),
]
