"""The Jira connector against the sandbox over loopback."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from connectors.base import FieldSpec, Scope, Target, Write
from connectors.jira.connector import JiraConnector

sandbox = pytest.importorskip("evm_sync.sandbox")
if not hasattr(sandbox, "Sandbox"):
    pytest.skip("the sandbox is not built yet", allow_module_level=True)
Sandbox = sandbox.Sandbox

NOW = "2026-11-20T12:00:00Z"


def connect(sb, **changes) -> JiraConnector:
    options = {
        "url": sb.jira_url, "email": sb.email, "token": sb.token, "auth": "basic",
        "deployment": "auto", "start": None, "story_points_field": None, "due_field": None,
        "overlap_minutes": 5, "page_size": 100, "timeout": 10.0, "max_quota_share": 0.5,
        "retry": {"attempts": 4, "max_retry_after": 5.0},
    }  # fmt: skip
    options.update(changes)
    return JiraConnector.from_options("sandbox-jira", options, sleep=lambda s: None)


def drain(connector, stream, bookmark=None, scope=None):
    pages = list(connector.pull(stream, bookmark, scope or Scope()))
    return pages, pages[-1].bookmark


def visible_worklogs(sb) -> set[str]:
    """Worklogs Jira lists as updated: all but those of the last minute."""
    limit = sb.now().timestamp() - 60
    return {
        str(w_id)
        for w_id, w in sb.jira.worklogs.items()
        if datetime.fromisoformat(w["updated"]).timestamp() <= limit
    }


@pytest.fixture(scope="module")
def sb():
    with Sandbox.start(tickets=50, issues=5000, seed=7, now=NOW) as running:
        yield running


@pytest.mark.slow
def test_full_pull_of_5000_issues_and_their_worklogs(sb):
    connector = connect(sb)
    try:
        pages, _ = drain(connector, "issues")
        tickets = {t.id: t for p in pages for t in p.tickets}
        expected = {issue["id"]: issue for issue in sb.jira.issues.values()}
        assert len(expected) == 5000 and set(tickets) == set(expected)

        # a few normalized values checked against the sandbox's own record
        for issue_id in sorted(expected)[:50]:
            raw, ticket = expected[issue_id]["fields"], tickets[issue_id]
            assert ticket.key == expected[issue_id]["key"]
            assert ticket.status == raw["status"]["name"]
            assert ticket.story_points == raw.get("customfield_10016")
            seconds = raw.get("timeoriginalestimate")
            assert ticket.estimate_hours == (seconds / 3600 if seconds else None)
            assert (ticket.resolved_at is None) == (raw["resolution"] is None)

        worklog_pages, _ = drain(connector, "worklogs")
        worklogs = {w.id: w for p in worklog_pages for w in p.worklogs}
        assert set(worklogs) == visible_worklogs(sb)
        sample = next(iter(worklogs.values()))
        assert sample.seconds == sb.jira.worklogs[int(sample.id)]["timeSpentSeconds"]

        counts = connector.request_counts()
        assert counts["GET /rest/api/3/search/jql"] == math.ceil(5000 / 100)
        assert counts["POST /rest/api/3/worklog/list"] == math.ceil(len(worklogs) / 1000)
        assert not any("/issue/" in endpoint for endpoint in counts)  # no per-issue reads
    finally:
        connector.close()


def test_incremental_pull_reads_only_what_changed(sb):
    connector = connect(sb)
    try:
        _, issues_mark = drain(connector, "issues")
        _, worklogs_mark = drain(connector, "worklogs")

        sb.advance(600)
        keys = sorted(sb.jira.issues)[:3]
        sb.jira.update_issue(keys[0], {"summary": "changed by the test"})
        added = sb.jira.add_worklog(keys[1], 1800)
        victim = next(iter(sb.jira.issue_worklogs[keys[2]] or []), None)
        if victim is None:
            victim = sb.jira.add_worklog(keys[2], 600)["id"]
            sb.advance(120)
        sb.jira.delete_worklog(int(victim))
        sb.advance(120)  # past the minute worklog/updated withholds
        sb.reset_requests()

        pages, _ = drain(connector, "issues", issues_mark)
        changed = {t.key for p in pages for t in p.tickets}
        assert changed == set(keys)  # worklog changes bump the issue's updated too

        pages, _ = drain(connector, "worklogs", worklogs_mark)
        assert [w.id for p in pages for w in p.worklogs] == [str(added["id"])]
        assert [d for p in pages for d in p.deleted_worklog_ids] == [str(victim)]
        paths = [(r.method, r.path) for r in sb.requests]
        assert paths.count(("GET", "/rest/api/3/search/jql")) == 1
        assert paths.count(("POST", "/rest/api/3/worklog/list")) == 1
    finally:
        connector.close()


def test_push_fields_and_property_read_back(sb):
    connector = connect(sb)
    key = sorted(sb.jira.issues)[10]
    specs = [
        FieldSpec("cpi", "jira_issue", "EVM CPI", "number"),
        FieldSpec("forecast_finish", "jira_issue", "EVM forecast finish", "date"),
        FieldSpec("status", "jira_issue", "EVM status", "text"),
    ]
    try:
        reports = connector.ensure_fields(specs, create=True)
        assert [r.action for r in reports] == ["created"] * 3
        again = connect(sb)
        assert [r.action for r in again.ensure_fields(specs, create=False)] == ["exists"] * 3
        again.close()

        epic = Target("jira_issue", key)
        values = {"EVM CPI": 0.93, "EVM forecast finish": "2027-01-15", "EVM status": "amber"}
        assert [r.ok for r in connector.push([Write(epic, values)])] == [True]
        assert connector.read([epic], list(values)) == {epic: values}
        cpi_id = reports[0].field_id
        assert sb.jira.issues[key]["fields"][cpi_id] == 0.93

        prop = Target("jira_property", key, "evm")
        assert connector.read([prop], []) == {prop: {"evm": None}}
        summary = {"cpi": 0.93, "spi": 1.01, "as_of": "2026-11-20"}
        assert [r.ok for r in connector.push([Write(prop, {"evm": summary})])] == [True]
        assert connector.read([prop], []) == {prop: {"evm": summary}}

        [refused] = connector.push([Write(epic, {"Locked field": 1.0})])
        assert not refused.ok and key in refused.error and "Locked field" in refused.error
    finally:
        connector.close()


def test_data_center_flavour_with_a_bearer_token(sb):
    connector = connect(sb, url=sb.url + "/jira-dc", auth="bearer", email=None, page_size=50)
    try:
        project = next(iter(sb.jira.issues.values()))["fields"]["project"]["key"]
        scope = Scope(jql=f'project = {project} AND created >= "2026-11-01"')
        pages, _ = drain(connector, "issues", scope=scope)
        got = {t.id for p in pages for t in p.tickets}
        start = datetime(2026, 11, 1, tzinfo=UTC)
        expected = {
            i["id"]
            for i in sb.jira.issues.values()
            if i["fields"]["project"]["key"] == project
            and datetime.fromisoformat(i["fields"]["created"]) >= start
        }
        assert got == expected and got
        worklog_pages, _ = drain(connector, "worklogs", scope=scope)
        ids = {w.ticket_id for p in worklog_pages for w in p.worklogs}
        assert ids <= expected
        assert "GET /jira-dc/rest/api/2/search" in connector.request_counts()
    finally:
        connector.close()


@pytest.mark.slow
def test_a_pull_survives_rate_limits_errors_and_dropped_connections(sb):
    sb.reset_requests()
    connector = connect(sb, retry={"attempts": 8, "max_retry_after": 120.0}, page_size=250)
    sb.set_faults("429=0.1,500=0.05,drop=0.02", seed=3)
    try:
        pages, _ = drain(connector, "issues")
        worklog_pages, _ = drain(connector, "worklogs")
    finally:
        sb.set_faults("")
        connector.close()
    assert {t.id for p in pages for t in p.tickets} == {i["id"] for i in sb.jira.issues.values()}
    assert {w.id for p in worklog_pages for w in p.worklogs} == visible_worklogs(sb)
    assert any(r.status in (429, 500) for r in sb.requests)
