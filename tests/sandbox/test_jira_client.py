"""The jira library, set up only with the sandbox's address and credentials."""

from __future__ import annotations

import jira
import pytest
import requests

from evm_sync.sandbox import Sandbox
from evm_sync.sandbox.jira_store import STORY_POINTS_SCHEMA

FIELDS = ["status", "issuetype", "resolutiondate", "updated", "timetracking", "labels"]


def client(sandbox: Sandbox, version: str = "2") -> jira.JIRA:
    return jira.JIRA(
        server=sandbox.url,
        basic_auth=(sandbox.email, sandbox.token),
        options={"rest_api_version": version},
        max_retries=0,
    )


def story_points_id(j: jira.JIRA) -> str:
    return next(
        f["id"] for f in j.fields() if f.get("schema", {}).get("custom") == STORY_POINTS_SCHEMA
    )


@pytest.mark.parametrize("version", ["2", "3"])
def test_enhanced_search_pages_every_issue_with_named_fields(big: Sandbox, version):
    j = client(big, version)
    points = story_points_id(j)
    found = j.enhanced_search_issues(
        "project in (SUP, ENG, OPS) ORDER BY created ASC", maxResults=0, fields=[*FIELDS, points]
    )
    assert sorted(i.key for i in found) == sorted(big.jira.issues)
    created = [big.jira.issues[i.key]["fields"]["created"] for i in found]
    assert created == sorted(created)
    sample = found[0].raw["fields"]
    assert set(sample) == {*FIELDS, points}
    assert sample["status"]["statusCategory"]["key"] in {"new", "indeterminate", "done"}
    assert any(i.raw["fields"][points] is not None for i in found)


def test_search_without_fields_gives_ids_only(big: Sandbox):
    page = requests.get(
        f"{big.url}/rest/api/3/search/jql",
        params={"jql": "project = SUP"},
        auth=(big.email, big.token),
    ).json()
    assert page["issues"] and all(set(i) == {"id"} for i in page["issues"])
    assert page["isLast"] is False and page["nextPageToken"]


def test_worklogs_by_issue_and_incrementally_agree(big: Sandbox):
    j = client(big)
    key = max(big.jira.issues, key=lambda k: len(big.jira.issue_worklogs[k]))
    by_issue = {w.id: w.timeSpentSeconds for w in j.worklogs(key)}
    assert by_issue and len(by_issue) == len(big.jira.issue_worklogs[key])
    session = j._session
    ids, url = [], f"{big.url}/rest/api/3/worklog/updated?since=0"
    while True:
        page = session.get(url).json()
        ids += [v["worklogId"] for v in page["values"]]
        if page["lastPage"]:
            break
        url = page["nextPage"]
    assert sorted(set(ids)) == sorted(big.jira.worklogs)
    listed = []
    for start in range(0, len(ids), 1000):
        listed += session.post(
            f"{big.url}/rest/api/3/worklog/list", json={"ids": ids[start : start + 1000]}
        ).json()
    mine = {
        int(w["id"]): w["timeSpentSeconds"]
        for w in listed
        if w["issueId"] == big.jira.issues[key]["id"]
    }
    assert mine == {int(k): v for k, v in by_issue.items()}


def test_update_custom_field_and_issue_property(sb: Sandbox):
    j = client(sb, "3")
    created = j._session.post(
        f"{sb.url}/rest/api/3/field",
        json={
            "name": "EVM CPI",
            "type": "com.atlassian.jira.plugin.system.customfieldtypes:float",
            "searcherKey": "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber",
        },
    ).json()
    key = next(iter(sb.jira.issues))
    issue = j.issue(key)
    issue.update(fields={created["id"]: 1.07})
    assert j.issue(key, fields=created["id"]).raw["fields"][created["id"]] == 1.07
    assert sb.jira.issues[key]["fields"]["updated"].startswith(sb.now().strftime("%Y-%m-%dT%H:%M"))
    j.add_issue_property(key, "evm.figures", {"cpi": 1.07, "spi": 0.93})
    assert j.issue_property(key, "evm.figures").raw["value"] == {"cpi": 1.07, "spi": 0.93}
    assert sb.jira.properties[key]["evm.figures"]["spi"] == 0.93


def test_a_field_off_the_edit_screen_is_refused(sb: Sandbox):
    j = client(sb)
    locked = next(f["id"] for f in j.fields() if f["name"] == "Locked field")
    key = next(iter(sb.jira.issues))
    before = dict(sb.jira.issues[key]["fields"])
    with pytest.raises(jira.JIRAError) as caught:
        j.issue(key).update(fields={locked: 3})
    assert caught.value.status_code == 400
    assert locked in caught.value.response.json()["errors"]
    assert sb.jira.issues[key]["fields"] == before


def test_data_center_flavour_pages_with_start_at_and_bearer(sb: Sandbox):
    headers = {"Authorization": f"Bearer {sb.token}"}
    info = requests.get(f"{sb.jira_dc_url}/rest/api/2/serverInfo", headers=headers).json()
    assert info["deploymentType"] == "Server"
    keys, start = [], 0
    while True:
        page = requests.get(
            f"{sb.jira_dc_url}/rest/api/2/search",
            headers=headers,
            params={"jql": "ORDER BY key", "startAt": start, "maxResults": 5, "fields": "status"},
        ).json()
        keys += [i["key"] for i in page["issues"]]
        start += len(page["issues"])
        if start >= page["total"]:
            break
    assert sorted(keys) == sorted(sb.jira.issues)
    cloud = requests.get(
        f"{sb.url}/rest/api/2/search", params={"jql": "project = SUP"}, auth=(sb.email, sb.token)
    )
    assert cloud.status_code == 410
    assert requests.get(f"{sb.url}/rest/api/2/myself", headers=headers).status_code == 401
