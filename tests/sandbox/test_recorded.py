"""Recorded real responses replayed against the sandbox's: the keys the real objects
have that the connectors read exist in ours, with the same JSON types."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from evm_sync.sandbox import Sandbox
from tests.sandbox import spec
from tests.sandbox.conftest import NOW

TICKET_KEYS = {
    "id",
    "url",
    "status",
    "priority",
    "type",
    "subject",
    "created_at",
    "updated_at",
    "generated_timestamp",
    "due_at",
    "group_id",
    "organization_id",
    "assignee_id",
    "requester_id",
    "tags",
    "custom_fields",
    "via",
    "satisfaction_rating",
}
ISSUE_FIELDS = {
    "issuetype",
    "project",
    "priority",
    "status",
    "resolution",
    "resolutiondate",
    "created",
    "updated",
    "duedate",
    "labels",
    "components",
    "assignee",
    "timeoriginalestimate",
    "timeestimate",
    "timespent",
    "aggregatetimespent",
    "aggregatetimeoriginalestimate",
    "statuscategorychangedate",
    "summary",
}


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string"}.get(type(value), "null")


def mismatches(real: Any, ours: Any, where: str = "", keys: set[str] | None = None) -> list[str]:
    """Differences in shape: keys of `real` (or `keys` of them) missing or typed otherwise."""
    if real is None or ours is None:
        return []
    if kind(real) != kind(ours):
        return [f"{where or '.'}: real {kind(real)}, ours {kind(ours)}"]
    if isinstance(real, dict):
        out = []
        for key in sorted(set(real) if keys is None else set(real) & keys):
            if key not in ours:
                out.append(f"{where}.{key}: missing")
            else:
                out += mismatches(real[key], ours[key], f"{where}.{key}")
        return out
    if isinstance(real, list) and real and ours:
        return mismatches(real[0], ours[0], where + "[0]")
    return []


def recorded(name: str) -> Any:
    return json.loads(spec.require(spec.RECORDED / name).read_text())


@pytest.fixture(scope="module")
def live():
    with Sandbox.start(tickets=80, seed=5, now=NOW) as sb:
        zd = requests.Session()
        zd.auth = (f"{sb.email}/token", sb.token)
        jr = requests.Session()
        jr.auth = (sb.email, sb.token)
        yield sb, zd, jr


def test_ticket_export_page(live):
    sb, zd, _ = live
    real = recorded("airbyte/source-zendesk-support/tickets.json")
    ours = zd.get(
        f"{sb.url}/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=5"
        "&include=metric_sets"
    ).json()
    envelope = {k: v for k, v in real.items() if k != "tickets"}
    assert mismatches(envelope, ours) == []
    assert mismatches(real["tickets"][0], ours["tickets"][0], keys=TICKET_KEYS) == []


@pytest.mark.parametrize("name", ["ticket_metrics.json", "stateless_ticket_metrics.json"])
def test_metric_sets(live, name):
    sb, zd, _ = live
    data = recorded(f"airbyte/source-zendesk-support/{name}")
    real = data.get("ticket_metric") or data["ticket_metrics"][0]
    page = zd.get(
        f"{sb.url}/api/v2/incremental/tickets/cursor.json?start_time=0&include=metric_sets"
    ).json()
    solved = next(m for m in page["metric_sets"] if m["solved_at"])
    assert mismatches({k: v for k, v in real.items() if k != "generated_timestamp"}, solved) == []


def test_ticket_fields(live):
    sb, zd, _ = live
    real = recorded("airbyte/source-zendesk-support/ticket_fields.json")["ticket_fields"][0]
    ours = zd.get(f"{sb.url}/api/v2/ticket_fields.json").json()["ticket_fields"]
    assert all(mismatches(real, field) == [] for field in ours)


def test_jira_issue(live):
    sb, _, jr = live
    real = recorded("airbyte/source-jira/issues.json")["issues"][0]
    real = {
        k: v for k, v in real.items() if k not in ("projectId", "projectKey", "created", "updated")
    }
    key = next(
        k
        for k, i in sb.jira.issues.items()
        if i["fields"]["assignee"] and i["fields"]["components"]
    )
    ours = jr.get(f"{sb.url}/rest/api/3/issue/{key}").json()
    assert mismatches({k: v for k, v in real.items() if k != "fields"}, ours) == []
    assert mismatches(real["fields"], ours["fields"], ".fields", ISSUE_FIELDS) == []


def test_jira_agile_issue_with_story_points(live):
    sb, _, jr = live
    real = recorded("go-jira/issues_in_sprint.json")["issues"][0]
    points = next(
        f["id"]
        for f in jr.get(f"{sb.url}/rest/api/2/field").json()
        if f["name"] == "Story point estimate"
    )
    key = next(
        k for k, i in sb.jira.issues.items() if i["fields"][points] and i["fields"]["resolution"]
    )
    ours = jr.get(f"{sb.url}/rest/api/2/issue/{key}").json()
    server_only = {".fields.assignee.key", ".fields.assignee.name"}  # a Server response
    found = mismatches(real["fields"], ours["fields"], ".fields", ISSUE_FIELDS)
    assert [m for m in found if m.split(":")[0] not in server_only] == []
    assert kind(real["fields"]["customfield_10105"]) == kind(ours["fields"][points])


def test_search_jql_page_chain(live):
    sb, _, jr = live
    first = jr.get(
        f"{sb.url}/rest/api/3/search/jql",
        params={
            "jql": "project = SUP",
            "maxResults": 2,
            "fields": "issuetype,resolution,created,"
            "priority,labels,assignee,updated,status,summary",
        },
    ).json()
    last = jr.get(
        f"{sb.url}/rest/api/3/search/jql",
        params={"jql": "project = SUP", "maxResults": 1000, "fields": "status"},
    ).json()
    for name, ours in (("search_page1.json", first), ("search_page3.json", last)):
        real = recorded(f"jira-cli/{name}")
        assert real["isLast"] == ours["isLast"]
        envelope = {
            k: v
            for k, v in real.items()
            if k != "issues" and (k != "nextPageToken" or not real["isLast"])
        }
        assert mismatches(envelope, ours) == [], name
        assert set(ours["issues"][0]) >= {"id", "key", "fields"}
    real_issue = recorded("jira-cli/search.json")["issues"][0]
    assert (
        mismatches(real_issue["fields"], first["issues"][0]["fields"], ".fields", ISSUE_FIELDS)
        == []
    )


@pytest.mark.parametrize(
    "name",
    ["airbyte/source-jira/issue_fields.json", "go-jira/all_fields.json", "jira-cli/fields.json"],
)
def test_fields(live, name):
    sb, _, jr = live
    ours = {f["id"]: f for f in jr.get(f"{sb.url}/rest/api/3/field").json()}
    custom = next(f for f in ours.values() if f["custom"])
    for real in recorded(name):
        mine = ours.get(real["id"]) or (
            custom
            if real["custom"]
            else ours["labels"]
            if real.get("schema", {}).get("type") == "array"
            else ours["summary"]
        )
        assert (
            mismatches(
                {k: v for k, v in real.items() if k != "key" or "key" in mine},
                mine,
                real["id"],
                set(real) - {"untranslatedName"},
            )
            == []
        )


def test_worklogs(live):
    sb, _, jr = live
    key = max(sb.jira.issues, key=lambda k: len(sb.jira.issue_worklogs[k]))
    ours = jr.get(f"{sb.url}/rest/api/3/issue/{key}/worklog").json()
    wanted = {
        "self",
        "author",
        "updateAuthor",
        "updated",
        "started",
        "timeSpent",
        "timeSpentSeconds",
        "id",
        "issueId",
        "created",
    }
    real = recorded("airbyte/source-jira/issue_worklogs.json")
    assert mismatches({k: v for k, v in real.items() if k != "worklogs"}, ours) == []
    assert mismatches(real["worklogs"][0], ours["worklogs"][0], keys=wanted) == []
    listed = jr.post(
        f"{sb.url}/rest/api/3/worklog/list", json={"ids": [ours["worklogs"][0]["id"]]}
    ).json()
    real_list = recorded("airbyte/source-jira/all_issue_worklogs.json")
    assert mismatches(real_list[0], listed[0], keys=wanted) == []
    updated = jr.get(f"{sb.url}/rest/api/3/worklog/updated?since=0").json()
    assert mismatches(recorded("airbyte/source-jira/updated_issue_worklogs.json"), updated) == []
