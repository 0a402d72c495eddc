"""Turn the Jira store's records into the API's JSON, per API version (2: text, 3: ADF)."""

from __future__ import annotations

from typing import Any

from evm_sync.sandbox.jira_store import JiraStore, duration

EMBEDDED_WORKLOGS = 20


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document (v3 rich text)."""
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def render_worklog(worklog: dict[str, Any], version: str) -> dict[str, Any]:
    out = dict(worklog)
    comment = out.pop("comment", "")
    if comment:
        out["comment"] = adf(comment) if version == "3" else comment
    return out


def parse_fields(raw: list[str] | str | None, default: str) -> list[str]:
    """The `fields` parameter: repeated and/or comma separated ids, *all, *navigable, -id."""
    parts = [raw] if isinstance(raw, str) else raw or [default]
    items = [f.strip() for part in parts for f in str(part).split(",")]
    return [f for f in items if f]


def select(store: JiraStore, wanted: list[str]) -> set[str] | None:
    """Field ids to show; None means ids only (no `fields` object)."""
    ids = {f["id"] for f in store.fields}
    chosen: set[str] = set()
    for item in wanted:
        if item in ("*all", "*navigable"):
            chosen |= ids
        elif not item.startswith("-") and item not in ("id", "key"):
            chosen.add(item)
    chosen -= {item[1:] for item in wanted if item.startswith("-")}
    return chosen or None


def timetracking(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, key in (
        ("originalEstimate", "timeoriginalestimate"),
        ("remainingEstimate", "timeestimate"),
        ("timeSpent", "timespent"),
    ):
        seconds = fields.get(key)
        if seconds is not None:
            out[name] = duration(seconds)
            out[name + "Seconds"] = seconds
    return out


def render_issue(
    store: JiraStore,
    issue: dict[str, Any],
    chosen: set[str] | None,
    version: str,
    properties: list[str] = (),
) -> dict[str, Any]:
    """The issue with the `chosen` fields (None: id only) and the named issue properties."""
    out = _render_fields(store, issue, chosen, version)
    if properties:
        stored = store.properties.get(issue["key"], {})
        out["properties"] = {name: stored[name] for name in properties if name in stored}
    return out


def _render_fields(
    store: JiraStore, issue: dict[str, Any], chosen: set[str] | None, version: str
) -> dict[str, Any]:
    if chosen is None:
        return {"id": issue["id"]}
    stored = issue["fields"]
    fields: dict[str, Any] = {}
    for field_id in chosen:
        if field_id == "timetracking":
            fields[field_id] = timetracking(stored)
        elif field_id == "worklog":
            ids = store.issue_worklogs.get(issue["key"], [])
            fields[field_id] = {
                "startAt": 0,
                "maxResults": EMBEDDED_WORKLOGS,
                "total": len(ids),
                "worklogs": [
                    render_worklog(store.worklogs[w], version) for w in ids[:EMBEDDED_WORKLOGS]
                ],
            }
        elif field_id == "description" and version == "3" and stored.get("description"):
            fields[field_id] = adf(stored["description"])
        elif field_id in stored or store.field(field_id) is not None:
            fields[field_id] = stored.get(field_id)
    return {
        "expand": issue.get("expand", ""),
        "id": issue["id"],
        "self": issue["self"],
        "key": issue["key"],
        "fields": fields,
    }
