"""The in-memory Jira Cloud site: issues, fields, worklogs and issue properties."""

from __future__ import annotations

import bisect
import json
import threading
from datetime import datetime
from typing import Any

from evm_sync.sandbox.clock import Clock, epoch_of, jira_time, parse_jira_time
from evm_sync.sandbox.links import BASE

STORY_POINTS_SCHEMA = "com.pyxis.greenhopper.jira:jsw-story-points"
NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
PROPERTY_LIMIT = 32768


class JiraError(Exception):
    """An API error: HTTP status and Jira's {errorMessages, errors} body."""

    def __init__(self, status: int, messages: list[str], errors: dict[str, str] | None = None):
        super().__init__(f"{status}: {'; '.join(messages) or errors}")
        self.status = status
        self.body = {"errorMessages": messages, "errors": errors or {}}


def duration(seconds: int) -> str:
    """Jira's short duration text: 3h 20m."""
    weeks, rest = divmod(seconds, 5 * 8 * 3600)
    days, rest = divmod(rest, 8 * 3600)
    hours, rest = divmod(rest, 3600)
    parts = [
        f"{v}{u}" for v, u in ((weeks, "w"), (days, "d"), (hours, "h"), (rest // 60, "m")) if v
    ]
    return " ".join(parts) or "0m"


class JiraStore:
    """State of one Jira site; public methods are thread safe."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.issues: dict[str, dict[str, Any]] = {}
        self.by_id: dict[str, str] = {}
        self.fields: list[dict[str, Any]] = []
        self.screen: set[str] = set()
        self.worklogs: dict[int, dict[str, Any]] = {}
        self.issue_worklogs: dict[str, list[int]] = {}
        self.deleted: list[tuple[int, int]] = []
        self.properties: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.version = 0  # bumped by every change, so cached searches know they are stale
        self.search_cache: tuple[Any, list[str]] | None = None
        self._updated: list[tuple[int, int]] = []
        self._dirty = True
        self._next_worklog = 10000
        self._next_field = 10100

    # ---- lookups ---------------------------------------------------------------

    def issue(self, key_or_id: str) -> dict[str, Any]:
        key = self.by_id.get(key_or_id, key_or_id).upper()
        issue = self.issues.get(key)
        if issue is None:
            raise JiraError(404, ["Issue does not exist or you do not have permission to see it."])
        return issue

    def field(self, field_id: str) -> dict[str, Any] | None:
        return next((f for f in self.fields if f["id"] == field_id), None)

    def updated_index(self) -> list[tuple[int, int]]:
        """(updated ms, worklog id), sorted."""
        with self.lock:
            if self._dirty:
                self._updated = sorted(
                    (int(parse_jira_time(w["updated"]) * 1000), w_id)
                    for w_id, w in self.worklogs.items()
                )
                self._dirty = False
            return self._updated

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    # ---- loading ------------------------------------------------------------------

    def put_issue(self, issue: dict[str, Any]) -> None:
        issue.setdefault("self", f"{BASE}/rest/api/2/issue/{issue['id']}")
        self.issues[issue["key"]] = issue
        self.by_id[issue["id"]] = issue["key"]
        self.issue_worklogs.setdefault(issue["key"], [])

    def put_worklog(self, worklog: dict[str, Any]) -> None:
        w_id = int(worklog["id"])
        key = self.by_id[str(worklog["issueId"])]
        self.worklogs[w_id] = worklog
        self.issue_worklogs[key].append(w_id)
        self._next_worklog = max(self._next_worklog, w_id + 1)
        self._dirty = True

    def allocate_field_id(self) -> str:
        self._next_field += 1
        return f"customfield_{self._next_field}"

    # ---- changes ---------------------------------------------------------------

    def _touch(self, issue: dict[str, Any]) -> None:
        issue["fields"]["updated"] = jira_time(self.clock.now().timestamp())
        self.version += 1

    def update_issue(self, key: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Set fields as PUT /issue/{key} does: all on the edit screen, or nothing."""
        with self.lock:
            issue = self.issue(key)
            errors = {f: NOT_ON_SCREEN.format(f) for f in fields if f not in self.screen}
            for field_id, value in fields.items():
                field = self.field(field_id)
                kind = field and field.get("schema", {}).get("type")
                if (
                    field_id not in errors
                    and kind == "number"
                    and value is not None
                    and (isinstance(value, bool) or not isinstance(value, int | float))
                ):
                    errors[field_id] = "Operation value must be a number."
            if errors:
                raise JiraError(400, [], errors)
            changed = False
            for field_id, value in fields.items():
                changed |= issue["fields"].get(field_id) != value
                issue["fields"][field_id] = value
            if changed:
                self._touch(issue)
            return issue

    def set_property(self, key: str, prop: str, value: Any) -> bool:
        """Store an issue property; True when it is new."""
        if len(json.dumps(value)) > PROPERTY_LIMIT:
            raise JiraError(400, [f"The property '{prop}' exceeds the 32768 characters limit."])
        with self.lock:
            issue = self.issue(key)
            props = self.properties.setdefault(issue["key"], {})
            created = prop not in props
            props[prop] = value
            return created

    def get_property(self, key: str, prop: str) -> Any:
        with self.lock:
            props = self.properties.get(self.issue(key)["key"], {})
            if prop not in props:
                raise JiraError(404, [f"The property with key '{prop}' does not exist."])
            return props[prop]

    def add_worklog(
        self,
        key: str,
        seconds: int,
        started: datetime | float | None = None,
        author: str = "sandbox-agent-1",
        comment: str = "",
    ) -> dict[str, Any]:
        """Log work now; `started` (datetime or epoch seconds) defaults to now minus the
        time spent; `author` is an accountId (unknown ones log as the first user)."""
        with self.lock:
            issue = self.issue(key)
            now = self.clock.now().timestamp()
            user = self.users.get(author) or next(iter(self.users.values()))
            w_id = self._next_worklog
            worklog = make_worklog(
                w_id,
                issue["id"],
                user,
                seconds,
                now - seconds if started is None else epoch_of(started),
                now,
                comment,
            )
            self.put_worklog(worklog)
            self._spent(issue, seconds)
            return worklog

    def delete_worklog(self, worklog_id: int) -> None:
        with self.lock:
            worklog = self.worklogs.pop(int(worklog_id), None)
            if worklog is None:
                raise JiraError(404, ["Cannot find worklog with id: " + str(worklog_id)])
            key = self.by_id[worklog["issueId"]]
            self.issue_worklogs[key].remove(int(worklog_id))
            bisect.insort(self.deleted, (self.now_ms(), int(worklog_id)))
            self._dirty = True
            self._spent(self.issues[key], -worklog["timeSpentSeconds"])

    def _spent(self, issue: dict[str, Any], delta: int) -> None:
        fields = issue["fields"]
        fields["timespent"] = (fields.get("timespent") or 0) + delta or None
        fields["aggregatetimespent"] = fields["timespent"]
        self._touch(issue)


def make_worklog(
    w_id: int,
    issue_id: str,
    user: dict[str, Any],
    seconds: int,
    started: float,
    updated: float,
    comment: str = "",
) -> dict[str, Any]:
    return {
        "self": f"{BASE}/rest/api/2/issue/{issue_id}/worklog/{w_id}",
        "author": user,
        "updateAuthor": user,
        "comment": comment,
        "created": jira_time(updated),
        "updated": jira_time(updated),
        "started": jira_time(started),
        "timeSpent": duration(seconds),
        "timeSpentSeconds": seconds,
        "id": str(w_id),
        "issueId": issue_id,
    }
