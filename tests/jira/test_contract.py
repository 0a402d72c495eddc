"""Recorded real responses (Airbyte, go-jira, jira-cli) replayed through the connector;
the expected values were read off the recordings by hand."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from connectors.base import Scope
from connectors.errors import FatalError
from tests.jira.conftest import API, BASE, body, calls_to, query, recorded, site

AIRBYTE_ADDED = ("projectId", "projectKey", "created", "updated")


def airbyte_issues():
    page = recorded("airbyte", "source-jira", "issues.json")
    for item in page["issues"]:
        for key in AIRBYTE_ADDED:
            item.pop(key, None)
    return page["issues"]


def tickets(connector, jql=None):
    return [t for p in connector.pull("issues", None, Scope(jql=jql)) for t in p.tickets]


def test_airbyte_cloud_issue(rsps, make):
    site(
        rsps,
        fields=recorded("airbyte", "source-jira", "issue_fields.json"),
        zone="America/Los_Angeles",
    )
    rsps.get(f"{API}/search/jql", json={"issues": airbyte_issues(), "isLast": True})

    [t] = tickets(make())

    assert (t.source, t.id, t.key, t.project) == ("acme-jira", "10627", "TESTKEY13-1", "TESTKEY13")
    assert (t.type, t.priority, t.status, t.status_category) == ("Epic", "Low", "To Do", "new")
    assert t.tags == ("test",) and t.components == ("Component 0",)
    assert t.assignee == "5fc9e78d2730d800760becc4"
    assert t.created_at == datetime(2022, 6, 9, 23, 29, 31, 871000, tzinfo=UTC)
    assert t.updated_at == datetime(2022, 12, 8, 10, 22, 18, 889000, tzinfo=UTC)
    assert t.due_date is None and t.resolved_at is None and t.sprint_end_at is None
    assert t.estimate_hours is None  # timetracking {} and timeoriginalestimate null
    assert t.story_points is None  # the site's field list has no story-points field


def test_airbyte_worklogs_updated_then_list(rsps, make):
    rsps.get(
        f"{API}/worklog/updated",
        json=recorded("airbyte", "source-jira", "updated_issue_worklogs.json"),
    )
    rsps.post(
        f"{API}/worklog/list", json=recorded("airbyte", "source-jira", "all_issue_worklogs.json")
    )
    rsps.get(f"{API}/worklog/deleted", json={"values": [], "lastPage": True})

    pages = list(make().pull("worklogs", None, Scope()))

    [w] = pages[0].worklogs
    assert (w.id, w.ticket_id, w.seconds, w.author) == (
        "100028",
        "10002",
        12000,
        "5b10a2844c20165700ede21g",
    )
    assert w.started_at == datetime(2021, 1, 17, 12, 34, tzinfo=UTC)
    assert w.updated_at == datetime(2021, 1, 18, 23, 45, tzinfo=UTC)
    # the recording lists worklog 10000 at 1682899200000 and has no 'until'
    assert pages[0].bookmark["since"] == 1682899200000 + 1
    assert body(calls_to(rsps, "/rest/api/3/worklog/list")[0]) == {"ids": [10000]}


def test_airbyte_issue_worklogs_on_data_center(rsps, make):
    api2 = f"{BASE}/rest/api/2"
    site(rsps, api=api2)
    rsps.get(
        f"{api2}/search",
        json={
            "startAt": 0,
            "total": 1,
            "issues": [{"id": "10002", "fields": {"updated": "2021-01-18T23:45:00.000+0000"}}],
        },
    )
    rsps.get(
        f"{api2}/issue/10002/worklog",
        json=recorded("airbyte", "source-jira", "issue_worklogs.json"),
    )
    rsps.get(f"{api2}/worklog/deleted", json={"values": [], "lastPage": True})

    pages = list(make(deployment="datacenter").pull("worklogs", None, Scope()))

    [w] = pages[0].worklogs
    assert (w.id, w.ticket_id, w.seconds) == ("100028", "10002", 12000)


def test_go_jira_agile_issue_with_resolution_and_story_points(rsps, make):
    api2 = f"{BASE}/rest/api/2"
    site(rsps, api=api2, fields=recorded("go-jira", "all_fields.json"))
    page = recorded("go-jira", "issues_in_sprint.json")
    rsps.get(f"{api2}/search", json=page)
    rsps.get(f"{api2}/search", json={**page, "startAt": 1, "issues": []})

    [t] = tickets(make(deployment="datacenter", story_points_field="customfield_10105"))

    assert (t.id, t.key, t.project) == ("12338", "AR-86", "AR")
    assert (t.type, t.priority, t.status, t.status_category) == ("Task", "Major", "Ready", "new")
    assert t.assignee == "mister.morris"  # Data Center: the user name
    assert t.story_points == 13.0
    assert t.resolved_at == datetime(2015, 12, 7, 22, 19, 13, tzinfo=UTC)
    assert t.created_at == datetime(2015, 12, 2, 15, 39, 15, tzinfo=UTC)
    assert t.estimate_hours is None and t.tags == ()
    # total says 10 but the second page is empty: paging stops there
    assert [query(c)["startAt"] for c in calls_to(rsps, "/rest/api/2/search")] == [["0"], ["1"]]


def jira_cli_chain(rsps, with_ids):
    pages = [
        recorded("jira-cli", name)
        for name in ("search_page1.json", "search_page2_mid.json", "search_page3.json")
    ]
    for page in pages:
        page = copy.deepcopy(page)
        if with_ids:  # the recording trims ids: give each issue its number as an id
            for item in page["issues"]:
                item["id"] = "100" + item["key"].split("-")[1]
        rsps.get(f"{API}/search/jql", json=page)


def test_jira_cli_token_chain(rsps, make):
    site(rsps, fields=recorded("jira-cli", "fields.json"))
    jira_cli_chain(rsps, with_ids=True)

    got = tickets(make(), jql="project = TEST")

    assert [t.key for t in got] == ["TEST-1", "TEST-2", "TEST-3", "TEST-4"]
    tokens = [query(c).get("nextPageToken") for c in calls_to(rsps, "/rest/api/3/search/jql")]
    assert tokens == [None, ["token-page-2"], ["token-page-3"]]
    one, two, three, four = got
    assert (one.type, one.priority, one.status) == ("Bug", "Medium", "To Do")
    assert (two.type, two.priority, two.status, two.tags) == (
        "Story",
        "High",
        "In Progress",
        ("critical", "feature"),
    )
    assert two.status_category is None  # the recording has no statusCategory
    assert three.resolved_at is None  # resolution Done, but no resolutiondate recorded
    assert three.assignee is None  # only a displayName: not a stable id
    assert four.type == "Epic" and four.tags == ("roadmap",)
    assert all(t.created_at == datetime(2020, 12, 3, 13, 5, 20, 974000, tzinfo=UTC) for t in got)
    # "Original story points" (a Plans field) is not the story-points field
    assert all(t.story_points is None for t in got)
    assert "customfield_10111" not in query(calls_to(rsps, "/rest/api/3/search/jql")[0])["fields"]


def test_jira_cli_issues_without_ids_are_refused_clearly(rsps, make):
    site(rsps, fields=recorded("jira-cli", "fields.json"))
    jira_cli_chain(rsps, with_ids=False)
    with pytest.raises(FatalError, match="issue TEST-1 has no id"):
        tickets(make())


def test_jira_cli_empty_search(rsps, make):
    site(rsps, fields=recorded("jira-cli", "fields.json"))
    rsps.get(f"{API}/search/jql", json=recorded("jira-cli", "search_empty.json"))
    pages = list(make().pull("issues", None, Scope()))
    assert [p.tickets for p in pages] == [()]
    assert pages[0].bookmark == {"updated": None, "seen": []}
