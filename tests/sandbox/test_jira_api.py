"""Jira behaviour the connectors rely on: bounded JQL, paging tokens, worklog feeds."""

from __future__ import annotations

import pytest
import requests

SEARCH = "/rest/api/3/search/jql"


def search(sb, jr, jql: str, **params) -> list[dict]:
    found, token = [], None
    while True:
        query = {
            "jql": jql,
            "fields": "status,labels,resolution,updated,issuetype",
            "maxResults": 7,
            **params,
        }
        if token:
            query["nextPageToken"] = token
        answer = jr.get(sb.url + SEARCH, params=query)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found += page["issues"]
        if page["isLast"]:
            assert "nextPageToken" not in page
            return found
        token = page["nextPageToken"]


def expected(sb, keep) -> set[str]:
    return {k for k, i in sb.jira.issues.items() if keep(i["fields"])}


@pytest.mark.parametrize(
    ("jql", "keep"),
    [
        ("project = SUP", lambda f: f["project"]["key"] == "SUP"),
        (
            "project in (ENG, OPS) AND status = Done",
            lambda f: f["project"]["key"] != "SUP" and f["status"]["name"] == "Done",
        ),
        (
            "resolution = Unresolved AND issuetype = Bug",
            lambda f: f["resolution"] is None and f["issuetype"]["name"] == "Bug",
        ),
        ("resolution is EMPTY", lambda f: f["resolution"] is None),
        ("labels in (backend, regression)", lambda f: {"backend", "regression"} & set(f["labels"])),
        (
            "labels = customer AND status != Done",
            lambda f: "customer" in f["labels"] and f["status"]["name"] != "Done",
        ),
        (
            '(updated >= "2026-10-01 00:00") AND status = "In Progress"',
            lambda f: f["updated"] >= "2026-10-01T00:00" and f["status"]["name"] == "In Progress",
        ),
    ],
)
def test_jql_subset(sb, jr, jql, keep):
    assert {i["key"] for i in search(sb, jr, jql)} == expected(sb, keep)


def test_updated_since_and_order(sb, jr):
    found = search(sb, jr, 'updated >= "2026-09-01" ORDER BY updated DESC')
    updated = [i["fields"]["updated"] for i in found]
    assert updated == sorted(updated, reverse=True)
    assert {i["key"] for i in found} == expected(sb, lambda f: f["updated"] >= "2026-09-01")
    relative = search(sb, jr, "updated >= -30d")
    assert {i["key"] for i in relative} == expected(sb, lambda f: f["updated"] >= "2026-10-21T12")


@pytest.mark.parametrize(
    "jql",
    [
        "",
        "ORDER BY created",
        "summary ~ foo",
        "project = SUP OR project = ENG",
        "assignee = currentUser()",
        "project =",
    ],
)
def test_unsupported_or_unbounded_jql_is_a_400(sb, jr, jql):
    answer = jr.post(sb.url + SEARCH, json={"jql": jql})
    assert answer.status_code == 400
    assert set(answer.json()) == {"errorMessages", "errors"}


def test_a_foreign_page_token_is_refused(sb, jr):
    page = jr.get(sb.url + SEARCH, params={"jql": "project = SUP", "maxResults": 1}).json()
    other = jr.get(
        sb.url + SEARCH, params={"jql": "project = ENG", "nextPageToken": page["nextPageToken"]}
    )
    assert other.status_code == 400


def test_worklog_feeds_withhold_the_last_minute_and_show_deletions(sb, jr):
    since = int(sb.now().timestamp() * 1000)
    key = next(iter(sb.jira.issues))
    added = sb.jira.add_worklog(key, 1800)
    gone = next(w for w in sb.jira.worklogs if w != int(added["id"]))
    sb.jira.delete_worklog(gone)
    feed = jr.get(f"{sb.url}/rest/api/3/worklog/updated", params={"since": since}).json()
    assert feed["values"] == [] and feed["lastPage"] is True
    sb.advance(61)
    feed = jr.get(f"{sb.url}/rest/api/3/worklog/updated", params={"since": since}).json()
    assert [v["worklogId"] for v in feed["values"]] == [int(added["id"])]
    deleted = jr.get(f"{sb.url}/rest/api/3/worklog/deleted", params={"since": since}).json()
    assert [v["worklogId"] for v in deleted["values"]] == [gone]
    issue = jr.get(f"{sb.url}/rest/api/3/issue/{key}", params={"fields": "timetracking"}).json()
    assert (
        issue["fields"]["timetracking"]["timeSpentSeconds"]
        == sb.jira.issues[key]["fields"]["timespent"]
    )
    assert (
        jr.post(f"{sb.url}/rest/api/3/worklog/list", json={"ids": list(range(1001))}).status_code
        == 400
    )


def test_issue_properties_round_trip_and_limits(sb, jr):
    key = next(iter(sb.jira.issues))
    url = f"{sb.url}/rest/api/3/issue/{key}/properties/evm.figures"
    assert jr.get(url).status_code == 404
    assert jr.put(url, json={"cpi": 1}).status_code == 201
    assert jr.put(url, json={"cpi": 2}).status_code == 200
    assert jr.get(url).json() == {"key": "evm.figures", "value": {"cpi": 2}}
    keys = jr.get(f"{sb.url}/rest/api/3/issue/{key}/properties").json()["keys"]
    assert [k["key"] for k in keys] == ["evm.figures"]
    assert jr.put(url, json={"blob": "x" * 40000}).status_code == 400


def test_number_fields_refuse_text_and_cloud_refuses_bearer(sb, jr):
    key = next(iter(sb.jira.issues))
    points = next(
        f["id"]
        for f in jr.get(f"{sb.url}/rest/api/3/field").json()
        if f["name"] == "Story point estimate"
    )
    bad = jr.put(f"{sb.url}/rest/api/3/issue/{key}", json={"fields": {points: "three"}})
    assert bad.status_code == 400 and points in bad.json()["errors"]
    ok = jr.put(f"{sb.url}/rest/api/3/issue/{key}", json={"update": {points: [{"set": 3}]}})
    assert ok.status_code == 204 and sb.jira.issues[key]["fields"][points] == 3
    bearer = requests.get(
        f"{sb.url}/rest/api/3/myself", headers={"Authorization": f"Bearer {sb.token}"}
    )
    assert bearer.status_code == 401
    info = jr.get(f"{sb.url}/rest/api/2/serverInfo").json()
    assert info["deploymentType"] == "Cloud" and info["baseUrl"] == sb.url


def test_search_can_return_issue_properties(sb, jr):
    key = sorted(sb.jira.issues, key=lambda k: int(sb.jira.issues[k]["id"]))[0]
    sb.jira.set_property(key, "evm.figures", {"cpi": 0.9})
    project = sb.jira.issues[key]["fields"]["project"]["key"]
    page = jr.post(
        sb.url + SEARCH,
        json={"jql": f"key = {key}", "fields": ["status"], "properties": ["evm.figures", "absent"]},
    ).json()
    assert page["issues"][0]["properties"] == {"evm.figures": {"cpi": 0.9}}
    issue = jr.get(
        f"{sb.url}/rest/api/3/issue/{key}", params={"properties": "evm.figures", "fields": "status"}
    ).json()
    assert issue["properties"] == {"evm.figures": {"cpi": 0.9}}
    assert set(issue["fields"]) == {"status"} and project
