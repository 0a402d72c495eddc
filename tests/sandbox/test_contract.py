"""Every endpoint the sandbox serves, checked against the vendors' OpenAPI specs:
the requests the tests send and the responses the sandbox gives. (The fixtures in
conftest.py also check every exchange of the other sandbox tests the same way.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from evm_sync.sandbox import Sandbox
from evm_sync.sandbox.app import Exchange
from tests.sandbox import spec
from tests.sandbox.conftest import NOW

Z, J = "zendesk", "jira"


def _calls(sb: Sandbox) -> Iterator[tuple[str, str, str, Any]]:
    """(api, method, url, body) for each endpoint, in an order that works."""
    open_id = next(t["id"] for t in sb.zendesk.tickets.values() if t["status"] == "open")
    estimate = sb.zendesk.field_id("Estimate (hours)")
    org = next(iter(sb.zendesk.organizations))
    key = max(sb.jira.issues, key=lambda k: len(sb.jira.issue_worklogs[k]))
    worklog = sb.jira.issue_worklogs[key][0]
    value = [{"id": estimate, "value": "6"}]
    yield (
        Z,
        "GET",
        "/api/v2/incremental/tickets/cursor.json?start_time=0&include=metric_sets,slas",
        None,
    )
    yield Z, "GET", "/api/v2/incremental/ticket_events.json?start_time=0", None
    yield Z, "GET", "/api/v2/ticket_fields.json", None
    yield (
        Z,
        "POST",
        "/api/v2/ticket_fields.json",
        {"ticket_field": {"type": "decimal", "title": "EVM CPI"}},
    )
    yield Z, "GET", f"/api/v2/tickets/{open_id}.json", None
    yield Z, "GET", f"/api/v2/tickets/show_many.json?ids={open_id},1", None
    yield Z, "PUT", f"/api/v2/tickets/{open_id}.json", {"ticket": {"custom_fields": value}}
    yield (
        Z,
        "PUT",
        "/api/v2/tickets/update_many.json",
        {"tickets": [{"id": open_id, "custom_fields": [{"id": estimate, "value": "7"}]}]},
    )
    yield Z, "GET", "JOB", None
    yield Z, "GET", "/api/v2/organization_fields.json", None
    yield (
        Z,
        "POST",
        "/api/v2/organization_fields.json",
        {"organization_field": {"type": "decimal", "key": "evm_cpi", "title": "EVM CPI"}},
    )
    yield Z, "GET", f"/api/v2/organizations/{org}.json", None
    yield (
        Z,
        "PUT",
        f"/api/v2/organizations/{org}.json",
        {"organization": {"organization_fields": {"evm_cpi": 1.02}}},
    )
    yield J, "GET", "/rest/api/3/search/jql?jql=project%20%3D%20SUP&fields=*all&maxResults=5", None
    yield (
        J,
        "POST",
        "/rest/api/3/search/jql",
        {
            "jql": 'updated >= "2025-01-01" ORDER BY updated',
            "maxResults": 5,
            "fields": ["status", "timetracking", "customfield_10016"],
        },
    )
    yield J, "GET", "/rest/api/3/search/jql?jql=ORDER%20BY%20key", None
    yield J, "GET", "/rest/api/3/field", None
    yield (
        J,
        "POST",
        "/rest/api/3/field",
        {"name": "EVM SPI", "type": "com.atlassian.jira.plugin.system.customfieldtypes:float"},
    )
    yield J, "GET", f"/rest/api/3/issue/{key}", None
    yield J, "PUT", f"/rest/api/3/issue/{key}", {"fields": {"customfield_10016": 8}}
    yield J, "PUT", f"/rest/api/3/issue/{key}", {"fields": {"customfield_10050": 1}}
    yield J, "PUT", f"/rest/api/3/issue/{key}/properties/evm.figures", {"cpi": 1.1}
    yield J, "GET", f"/rest/api/3/issue/{key}/properties/evm.figures", None
    yield J, "GET", f"/rest/api/3/issue/{key}/properties", None
    yield J, "DELETE", f"/rest/api/3/issue/{key}/properties/evm.figures", None
    yield J, "GET", f"/rest/api/3/issue/{key}/worklog", None
    yield (
        J,
        "POST",
        f"/rest/api/3/issue/{key}/worklog",
        {"timeSpentSeconds": 1800, "started": "2026-11-20T09:00:00.000+0000"},
    )
    yield J, "GET", "/rest/api/3/worklog/updated?since=0", None
    yield J, "POST", "/rest/api/3/worklog/list", {"ids": [worklog]}
    yield J, "GET", "DELETED", None
    yield J, "GET", "/rest/api/3/myself", None
    yield J, "GET", "/rest/api/3/serverInfo", None
    yield J, "GET", "/jira-dc/rest/api/2/search?jql=&maxResults=3", None


@pytest.fixture(scope="module")
def exchanges() -> list[Exchange]:
    spec.load(Z), spec.load(J)
    with Sandbox.start(tickets=60, seed=11, now=NOW, record_exchanges=True) as sb:
        zd, jr = requests.Session(), requests.Session()
        zd.auth = (f"{sb.email}/token", sb.token)
        jr.auth = (sb.email, sb.token)
        job_url = None
        for api, method, url, body in _calls(sb):
            if url == "JOB":
                url = job_url
            elif url == "DELETED":
                sb.jira.delete_worklog(next(iter(sb.jira.worklogs)))
                sb.advance(120)
                url = "/rest/api/3/worklog/deleted?since=0"
            answer = (zd if api == Z else jr).request(
                method, url if url.startswith("http") else sb.url + url, json=body
            )
            if url.endswith("update_many.json"):
                job_url = answer.json()["job_status"]["url"]
        return sb.exchanges


def test_every_route_was_exercised_and_succeeded(exchanges):
    from evm_sync.sandbox import jira_routes, zendesk_routes

    served = {(r.spec_path, r.method) for r in zendesk_routes.ROUTES + jira_routes.ROUTES}
    legacy = {("/rest/api/3/search", "POST")}  # the DC flavour's POST form, same handler
    succeeded = {(e.spec_path, e.method) for e in exchanges if 200 <= e.status < 300}
    assert succeeded == served - legacy
    assert 400 in {e.status for e in exchanges}


def test_every_exchange_matches_the_spec(exchanges):
    found = [line for e in exchanges for line in spec.check(e)]
    assert found == []


def test_the_check_catches_a_wrong_shape(exchanges):
    ticket_page = next(e for e in exchanges if e.spec_path.endswith("/tickets/cursor"))
    broken = Exchange(
        **{
            **ticket_page.__dict__,
            "response": b'{"tickets": [{"id": "one"}], "end_of_stream": "no"}',
        }
    )
    assert len(spec.check(broken)) >= 2
