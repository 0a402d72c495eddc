"""Fixtures for the Jira connector tests: a mocked site (``responses``) and a factory
for connectors whose sleeps are recorded, never slept."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from connectors.jira.connector import JiraConnector

BASE = "http://jira.test"
API = f"{BASE}/rest/api/3"
TOKEN = "tok-SECRET-1234567890"
RECORDED = Path(__file__).resolve().parents[2].parent / "shared" / "api" / "recorded"

STORY_POINTS_FIELD = {
    "id": "customfield_10016",
    "name": "Story point estimate",
    "custom": True,
    "clauseNames": ["cf[10016]", "Story point estimate"],
    "schema": {
        "type": "number",
        "custom": "com.pyxis.greenhopper.jira:jsw-story-points",
        "customId": 10016,
    },
}
SPRINT_FIELD = {
    "id": "customfield_10020",
    "name": "Sprint",
    "custom": True,
    "clauseNames": ["cf[10020]", "Sprint"],
    "schema": {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint"},
}
EVM_CPI_FIELD = {
    "id": "customfield_10050",
    "name": "EVM CPI",
    "custom": True,
    "clauseNames": ["cf[10050]", "EVM CPI"],
    "schema": {
        "type": "number",
        "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
    },
}


def options(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "url": BASE,
        "email": "bot@example.com",
        "token": TOKEN,
        "auth": "basic",
        "deployment": "cloud",
        "start": None,
        "story_points_field": None,
        "due_field": None,
        "overlap_minutes": 5,
        "page_size": 100,
        "timeout": 5.0,
        "max_quota_share": 0.5,
        "retry": {"attempts": 4, "max_retry_after": 60.0},
    }
    base.update(changes)
    return base


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(sleeps: list[float]) -> Callable[..., JiraConnector]:
    made: list[JiraConnector] = []

    now = [1000.0]

    def sleep(seconds: float) -> None:  # recorded, and the fake clock moves on
        sleeps.append(seconds)
        now[0] += seconds

    def factory(**changes: Any) -> JiraConnector:
        connector = JiraConnector.from_options(
            "acme-jira", options(**changes), sleep=sleep, clock=lambda: now[0]
        )
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        connector.close()


def site(
    rsps: responses.RequestsMock,
    *,
    fields: list[dict[str, Any]] | None = None,
    zone: str = "UTC",
    api: str = API,
) -> None:
    """The calls every pull makes first: the user's time zone and the field list."""
    rsps.get(f"{api}/myself", json={"accountId": "bot", "timeZone": zone})
    rsps.get(f"{api}/field", json=fields if fields is not None else [STORY_POINTS_FIELD])


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def calls_to(rsps: responses.RequestsMock, path: str) -> list[Any]:
    return [c for c in rsps.calls if urlsplit(c.request.url).path == path]


def body(call: Any) -> Any:
    return json.loads(call.request.body)


def issue(
    issue_id: str,
    updated: str,
    *,
    key: str | None = None,
    created: str = "2026-01-05T09:00:00.000+0000",
    **fields: Any,
) -> dict[str, Any]:
    """A search result as Cloud sends it (only the fields asked for)."""
    base: dict[str, Any] = {
        "issuetype": {"name": "Task"},
        "priority": {"name": "Medium"},
        "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
        "labels": [],
        "components": [],
        "assignee": None,
        "project": {"key": "OPS"},
        "created": created,
        "updated": updated,
        "duedate": None,
        "resolution": None,
        "resolutiondate": None,
        "timetracking": {},
        "timeoriginalestimate": None,
    }
    base.update(fields)
    return {"id": issue_id, "key": key or f"OPS-{issue_id}", "fields": base}


def recorded(*parts: str) -> Any:
    path = RECORDED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"recorded responses not present: {path}")
    return json.loads(path.read_text())
