"""The issues stream against a mocked Cloud site: token paging, bounds, overlap, dedup."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.base import Scope
from connectors.errors import FatalError
from tests.jira.conftest import API, calls_to, issue, query, site

SEARCH = f"{API}/search/jql"


def pages(connector, bookmark=None, jql=None):
    return list(connector.pull("issues", bookmark, Scope(jql=jql)))


def test_token_paging_follows_next_page_token_until_is_last(rsps, make):
    site(rsps)
    rsps.get(
        SEARCH,
        json={
            "issues": [issue("1", "2026-03-01T10:00:00.000+0000")],
            "nextPageToken": "t2",
            "isLast": False,
        },
    )
    rsps.get(
        SEARCH,
        json={
            "issues": [issue("2", "2026-03-01T11:00:00.000+0000")],
            "nextPageToken": "t3",
            "isLast": False,
        },
    )
    rsps.get(SEARCH, json={"issues": [issue("3", "2026-03-01T12:00:00.000+0000")], "isLast": True})

    got = pages(make(), jql="project = OPS ORDER BY created DESC")

    assert [t.id for p in got for t in p.tickets] == ["1", "2", "3"]
    searches = calls_to(rsps, "/rest/api/3/search/jql")
    assert [query(c).get("nextPageToken") for c in searches] == [None, ["t2"], ["t3"]]
    first = query(searches[0])
    # the job's own ORDER BY is replaced; the search is bounded and ordered by updated
    assert first["jql"] == [
        '(project = OPS) AND updated >= "1970-01-01 00:00" ORDER BY updated ASC'
    ]
    assert {"created", "updated", "status", "customfield_10016"} <= set(first["fields"])
    assert first["maxResults"] == ["100"]
    assert got[-1].bookmark["updated"] == "2026-03-01T12:00:00+00:00"


def test_no_total_and_an_empty_last_page(rsps, make):
    site(rsps)
    rsps.get(SEARCH, json={"issues": [], "isLast": True, "nextPageToken": ""})
    got = pages(make())
    assert len(got) == 1 and got[0].tickets == ()
    assert len(calls_to(rsps, "/rest/api/3/search/jql")) == 1


def test_a_repeated_page_token_stops_with_a_clear_error(rsps, make):
    site(rsps)
    for _ in range(3):
        rsps.get(SEARCH, json={"issues": [], "nextPageToken": "same", "isLast": False})
    with pytest.raises(FatalError, match="nextPageToken it had already given"):
        pages(make())


def test_start_bounds_the_first_sync_in_the_users_time_zone(rsps, make):
    site(rsps, zone="America/Los_Angeles")
    rsps.get(SEARCH, json={"issues": [], "isLast": True})
    pages(make(start=datetime(2026, 1, 1, 6, 30, tzinfo=UTC)))
    jql = query(calls_to(rsps, "/rest/api/3/search/jql")[0])["jql"][0]
    assert jql == 'updated >= "2025-12-31 22:30" ORDER BY updated ASC'  # UTC-8 in winter


def test_overlap_window_and_deduplication_by_id_and_updated(rsps, make):
    site(rsps, zone="Europe/Berlin")
    rsps.get(
        SEARCH,
        json={
            "isLast": True,
            "issues": [
                issue("1", "2026-06-01T09:58:00.000+0000"),
                issue("2", "2026-06-01T10:00:00.000+0000"),
            ],
        },
    )
    connector = make()
    first = pages(connector)
    bookmark = first[-1].bookmark
    assert bookmark["updated"] == "2026-06-01T10:00:00+00:00"

    # Next sync: issue 2 again unchanged (overlap), issue 1 changed, issue 3 appeared
    # late with an older timestamp (eventual consistency): only 1 and 3 are new.
    rsps.get(
        SEARCH,
        json={
            "isLast": True,
            "issues": [
                issue("3", "2026-06-01T09:59:00.000+0000"),
                issue("2", "2026-06-01T10:00:00.000+0000"),
                issue("1", "2026-06-01T10:03:00.000+0000"),
            ],
        },
    )
    second = pages(connector, bookmark)

    assert [t.id for p in second for t in p.tickets] == ["3", "1"]
    jql = query(calls_to(rsps, "/rest/api/3/search/jql")[-1])["jql"][0]
    # 10:00 UTC - 5 min overlap = 09:55 UTC = 11:55 in Berlin (CEST)
    assert jql == 'updated >= "2026-06-01 11:55" ORDER BY updated ASC'
    final = second[-1].bookmark
    assert final["updated"] == "2026-06-01T10:03:00+00:00"
    assert ["1", "2026-06-01T10:03:00+00:00"] in final["seen"]

    # A third sync that sees the same three issues yields nothing new.
    rsps.get(
        SEARCH,
        json={
            "isLast": True,
            "issues": [
                issue("3", "2026-06-01T09:59:00.000+0000"),
                issue("1", "2026-06-01T10:03:00.000+0000"),
            ],
        },
    )
    assert [t.id for p in pages(connector, final) for t in p.tickets] == []


def test_seen_pairs_older_than_the_window_are_dropped(rsps, make):
    site(rsps)
    rsps.get(
        SEARCH,
        json={
            "isLast": True,
            "issues": [
                issue("1", "2026-06-01T08:00:00.000+0000"),
                issue("2", "2026-06-01T10:00:00.000+0000"),
            ],
        },
    )
    bookmark = pages(make())[-1].bookmark
    assert [pair[0] for pair in bookmark["seen"]] == ["2"]


def test_a_foreign_bookmark_is_refused_clearly(rsps, make):
    with pytest.raises(FatalError, match="issues bookmark"):
        pages(make(), {"updated": "yesterday"})


def test_bad_issue_data_names_the_issue_and_field(rsps, make):
    site(rsps)
    rsps.get(
        SEARCH,
        json={
            "isLast": True,
            "issues": [
                issue("7", "2026-06-01T10:00:00.000+0000", key="OPS-7", created="not a date")
            ],
        },
    )
    with pytest.raises(FatalError) as caught:
        pages(make())
    assert "issue OPS-7 field 'created'" in str(caught.value)
    assert "\n" not in str(caught.value)
