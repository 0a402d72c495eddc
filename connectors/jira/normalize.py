"""Pure transforms: Jira issue and worklog JSON -> ``Ticket`` and ``Worklog``.

Bad data raises ``BadRecord``: one line naming the issue or worklog and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from evm_sync.model import Ticket, Worklog

STATUS_CATEGORIES = {"new": "new", "indeterminate": "in_progress", "done": "done"}
BASE_FIELDS = (
    "issuetype",
    "priority",
    "status",
    "labels",
    "components",
    "assignee",
    "project",
    "created",
    "updated",
    "duedate",
    "resolution",
    "resolutiondate",
    "timetracking",
    "timeoriginalestimate",
    "parent",
)


class BadRecord(ValueError):
    """An issue or worklog whose data we cannot read."""


@dataclass(frozen=True, slots=True)
class IssueFields:
    """Which fields carry story points, the configured due date and the sprint."""

    story_points: str | None = None
    due: str | None = None
    sprint: str | None = None

    def requested(self) -> list[str]:
        """The fields to ask the search for (it returns only ids unless told)."""
        extra = [f for f in (self.story_points, self.due, self.sprint) if f]
        return [*BASE_FIELDS, *dict.fromkeys(extra)]


def parse_time(value: Any, where: str) -> datetime:
    """A Jira timestamp (``2022-06-09T16:29:31.871-0700``) as UTC."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadRecord(f"{where} is not a timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise BadRecord(f"{where} has no time zone: {value!r}")
    return parsed.astimezone(UTC)


def optional_time(value: Any, where: str) -> datetime | None:
    return None if value in (None, "") else parse_time(value, where)


def parse_date(value: Any, where: str) -> date | None:
    """``2024-01-31`` (or a timestamp, whose local date is kept) as a date."""
    if value in (None, ""):
        return None
    text = str(value)
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        raise BadRecord(f"{where} is not a date: {value!r}") from None


def number(value: Any, where: str) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise BadRecord(f"{where} is not a number: {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadRecord(f"{where} is not a number: {value!r}") from None


def user_id(user: Any) -> str | None:
    """Cloud ``accountId``, else Data Center ``name`` (or ``key``)."""
    if not isinstance(user, Mapping):
        return None
    for key in ("accountId", "name", "key"):
        if user.get(key):
            return str(user[key])
    return None


def _name(value: Any) -> str | None:
    return str(value["name"]) if isinstance(value, Mapping) and value.get("name") else None


def estimate_hours(fields: Mapping[str, Any], where: str) -> float | None:
    """Original estimate in hours; zero or absent is no estimate."""
    tracking = fields.get("timetracking") or {}
    seconds = tracking.get("originalEstimateSeconds") if isinstance(tracking, Mapping) else None
    if seconds is None:
        seconds = fields.get("timeoriginalestimate")
    value = number(seconds, f"{where} original estimate")
    return value / 3600 if value else None


def sprint_end(value: Any, where: str) -> datetime | None:
    """End of the issue's current sprint: the open one ending first, else the last closed."""
    if not isinstance(value, list):
        return None
    ends = [
        (str(s.get("state", "")).lower(), parse_time(s["endDate"], f"{where} sprint end"))
        for s in value
        if isinstance(s, Mapping) and s.get("endDate")
    ]
    open_ends = [end for state, end in ends if state != "closed"]
    if open_ends:
        return min(open_ends)
    return max((end for _, end in ends), default=None)


def issue_to_ticket(source: str, issue: Mapping[str, Any], extra: IssueFields) -> Ticket:
    """One search result as a ``Ticket``."""
    issue_id = issue.get("id")
    key = issue.get("key")
    where = f"issue {key or issue_id or '?'}"
    if not issue_id:
        raise BadRecord(f"{where} has no id")
    fields = issue.get("fields") or {}
    if "created" not in fields:
        raise BadRecord(f"{where} has no 'created' field")
    status = fields.get("status") or {}
    category = (status.get("statusCategory") or {}).get("key") if status else None
    resolved = fields.get("resolution") is not None
    due_field = extra.due or "duedate"
    project = fields.get("project") or {}
    return Ticket(
        source=source,
        id=str(issue_id),
        key=str(key) if key else None,
        created_at=parse_time(fields["created"], f"{where} field 'created'"),
        updated_at=optional_time(fields.get("updated"), f"{where} field 'updated'"),
        type=_name(fields.get("issuetype")),
        priority=_name(fields.get("priority")),
        status=_name(status),
        status_category=STATUS_CATEGORIES.get(str(category)) if category else None,
        tags=tuple(str(label) for label in fields.get("labels") or ()),
        components=tuple(n for n in map(_name, fields.get("components") or ()) if n),
        assignee=user_id(fields.get("assignee")),
        project=str(project["key"])
        if isinstance(project, Mapping) and project.get("key")
        else None,
        parent=_parent_key(fields.get("parent")),
        due_date=parse_date(fields.get(due_field), f"{where} field '{due_field}'"),
        sprint_end_at=sprint_end(fields.get(extra.sprint), where) if extra.sprint else None,
        resolved_at=optional_time(fields.get("resolutiondate"), f"{where} field 'resolutiondate'")
        if resolved
        else None,
        estimate_hours=estimate_hours(fields, where),
        story_points=number(fields.get(extra.story_points), f"{where} field '{extra.story_points}'")
        if extra.story_points
        else None,
    )


def _parent_key(parent: Any) -> str | None:
    """The parent issue's key (an epic, for stories, tasks and bugs)."""
    if isinstance(parent, Mapping) and parent.get("key"):
        return str(parent["key"])
    return None


def worklog_to_model(source: str, entry: Mapping[str, Any]) -> Worklog:
    """One worklog (``worklog/list`` or an issue's worklogs) as a ``Worklog``."""
    where = f"worklog {entry.get('id', '?')}"
    if not entry.get("id") or not entry.get("issueId"):
        raise BadRecord(f"{where} has no id or issueId")
    seconds = number(entry.get("timeSpentSeconds"), f"{where} field 'timeSpentSeconds'")
    return Worklog(
        source=source,
        id=str(entry["id"]),
        ticket_id=str(entry["issueId"]),
        started_at=parse_time(entry.get("started"), f"{where} field 'started'"),
        seconds=int(seconds or 0),
        author=user_id(entry.get("author")),
        updated_at=optional_time(entry.get("updated"), f"{where} field 'updated'"),
    )
