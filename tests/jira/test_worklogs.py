"""The worklogs stream: updated -> list -> deleted on Cloud, per issue on Data Center."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from connectors.base import Scope
from connectors.errors import FatalError
from tests.jira.conftest import API, BASE, body, calls_to, query, site

UPDATED = f"{API}/worklog/updated"
LIST = f"{API}/worklog/list"
DELETED = f"{API}/worklog/deleted"


def entry(worklog_id, issue_id="10002", seconds=600):
    return {
        "id": str(worklog_id),
        "issueId": issue_id,
        "started": "2026-03-01T09:00:00.000+0000",
        "timeSpentSeconds": seconds,
        "author": {"accountId": "u1"},
        "updated": "2026-03-01T09:10:00.000+0000",
    }


def list_echo(request):
    """``worklog/list``: the worklogs of the ids asked for."""
    ids = json.loads(request.body)["ids"]
    return 200, {}, json.dumps([entry(i) for i in ids])


def test_updated_then_list_then_deleted(rsps, make):
    rsps.get(
        UPDATED,
        json={
            "values": [
                {"worklogId": 11, "updatedTime": 1000},
                {"worklogId": 12, "updatedTime": 2000},
            ],
            "since": 500,
            "until": 2000,
            "lastPage": False,
            "nextPage": f"{API}/worklog/updated?since=2000",
        },
    )
    rsps.get(
        UPDATED,
        json={
            "values": [{"worklogId": 13, "updatedTime": 3000}],
            "since": 2000,
            "until": 3000,
            "lastPage": True,
        },
    )
    rsps.add_callback("POST", LIST, callback=list_echo)
    rsps.get(
        DELETED,
        json={
            "values": [{"worklogId": 7, "updatedTime": 2500}],
            "since": 400,
            "until": 2500,
            "lastPage": True,
        },
    )

    got = list(make().pull("worklogs", {"since": 500, "deleted_since": 400}, Scope()))

    assert [[w.id for w in p.worklogs] for p in got] == [["11", "12"], ["13"], []]
    assert got[-1].deleted_worklog_ids == ("7",)
    assert [p.bookmark for p in got] == [
        {"since": 2000, "deleted_since": 400},
        {"since": 3001, "deleted_since": 400},  # just past the last page's newest
        {"since": 3001, "deleted_since": 2501},
    ]
    assert [query(c)["since"] for c in calls_to(rsps, "/rest/api/3/worklog/updated")] == [
        ["500"],
        ["2000"],
    ]
    assert [body(c) for c in calls_to(rsps, "/rest/api/3/worklog/list")] == [
        {"ids": [11, 12]},
        {"ids": [13]},
    ]
    assert query(calls_to(rsps, "/rest/api/3/worklog/deleted")[0])["since"] == ["400"]
    # never the issue's embedded worklogs
    assert not [c for c in rsps.calls if "/issue/" in c.request.url]


def test_list_is_called_with_at_most_1000_ids(rsps, make):
    values = [{"worklogId": i, "updatedTime": 1000 + i} for i in range(1, 1501)]
    rsps.get(UPDATED, json={"values": values, "until": 2500, "lastPage": True})
    rsps.add_callback("POST", LIST, callback=list_echo)
    rsps.get(DELETED, json={"values": [], "lastPage": True})
    got = list(make().pull("worklogs", None, Scope()))
    sizes = [len(body(c)["ids"]) for c in calls_to(rsps, "/rest/api/3/worklog/list")]
    assert sizes == [1000, 500]
    assert len(got[0].worklogs) == 1500


def test_first_sync_starts_at_the_configured_start(rsps, make):
    rsps.get(UPDATED, json={"values": [], "lastPage": True})
    rsps.get(DELETED, json={"values": [], "lastPage": True})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    got = list(make(start=start).pull("worklogs", None, Scope()))
    expected = int(start.timestamp() * 1000)
    assert query(calls_to(rsps, "/rest/api/3/worklog/updated")[0])["since"] == [str(expected)]
    assert got[-1].bookmark == {"since": expected, "deleted_since": expected}


def test_a_page_that_does_not_advance_is_an_error(rsps, make):
    page = {"values": [{"worklogId": 1, "updatedTime": 5}], "until": 0, "lastPage": False}
    rsps.get(UPDATED, json=page)
    rsps.add_callback("POST", LIST, callback=list_echo)
    with pytest.raises(FatalError, match="no later 'since'"):
        list(make().pull("worklogs", {"since": 10}, Scope()))


def test_data_center_reads_worklogs_per_updated_issue(rsps, make):
    api2 = f"{BASE}/rest/api/2"
    rsps.get(f"{api2}/serverInfo", json={"deploymentType": "Server", "versionNumbers": [9, 12, 0]})
    site(rsps, api=api2, zone="UTC")
    rsps.get(
        f"{api2}/search",
        json={
            "startAt": 0,
            "maxResults": 1,
            "total": 2,
            "issues": [
                {"id": "501", "key": "DC-1", "fields": {"updated": "2026-03-01T10:00:00.000+0000"}},
            ],
        },
    )
    rsps.get(
        f"{api2}/search",
        json={
            "startAt": 1,
            "maxResults": 1,
            "total": 2,
            "issues": [
                {"id": "502", "key": "DC-2", "fields": {"updated": "2026-03-01T11:00:00.000+0000"}},
            ],
        },
    )
    rsps.get(
        f"{api2}/issue/501/worklog",
        json={"startAt": 0, "maxResults": 1000, "total": 1, "worklogs": [entry(1, "501")]},
    )
    rsps.get(
        f"{api2}/issue/502/worklog",
        json={
            "startAt": 0,
            "maxResults": 1000,
            "total": 2,
            "worklogs": [entry(2, "502"), entry(3, "502")],
        },
    )
    rsps.get(
        f"{api2}/worklog/deleted",
        json={"values": [{"worklogId": 9, "updatedTime": 99}], "until": 99, "lastPage": True},
    )

    connector = make(deployment="auto", auth="bearer", email=None, page_size=1)
    got = list(connector.pull("worklogs", None, Scope(jql="project = DC")))

    assert [[(w.id, w.ticket_id) for w in p.worklogs] for p in got[:2]] == [
        [("1", "501")],
        [("2", "502"), ("3", "502")],
    ]
    assert got[-1].deleted_worklog_ids == ("9",)
    expected_since = int(datetime(2026, 3, 1, 11, tzinfo=UTC).timestamp() * 1000)
    assert got[-1].bookmark == {"since": expected_since, "deleted_since": 100}
    searches = calls_to(rsps, "/rest/api/2/search")
    assert [query(c)["startAt"] for c in searches] == [["0"], ["1"]]
    assert query(searches[0])["jql"] == [
        '(project = DC) AND updated >= "1970-01-01 00:00" ORDER BY updated ASC'
    ]
    assert rsps.calls[1].request.headers["Authorization"].startswith("Bearer ")
