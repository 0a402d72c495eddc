"""`evm-sync sandbox --tickets 5000` in its own process; zenpy and the jira library,
given only its URLs and credentials, page through everything and write fields."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlparse

import jira
import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import CustomField

from evm_sync.sandbox.seed import generated
from evm_sync.sandbox.zendesk_store import ESTIMATE_TITLE
from tests.sandbox.conftest import NOW


@pytest.fixture(scope="module")
def served():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evm_sync.sandbox.command",
            "--port",
            "0",
            "--tickets",
            "5000",
            "--now",
            NOW,
            "--json",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


@pytest.fixture(scope="module")
def expected():
    from evm_sync.sandbox.clock import parse_iso

    _, zendesk, jira_store = generated(5000, 1, parse_iso(NOW))
    return zendesk, jira_store


def test_zenpy_reads_every_ticket_and_writes_a_field(served, expected, monkeypatch):
    address = urlparse(served["zendesk_url"])
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", address.scheme)
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", address.netloc)
    zenpy = Zenpy(subdomain="anything", email=served["email"], token=served["token"])
    tickets = list(zenpy.tickets.incremental(start_time=0, include=["metric_sets"]))
    assert sorted(t.id for t in tickets) == sorted(expected[0].tickets)
    estimate = next(f.id for f in zenpy.ticket_fields() if f.title == ESTIMATE_TITLE)
    ticket = next(t for t in tickets if t.status == "open")
    ticket.custom_fields = [CustomField(id=estimate, value="13.5")]
    zenpy.tickets.update(ticket)
    again = zenpy.tickets(id=ticket.id)
    assert {c["id"]: c["value"] for c in again.custom_fields}[estimate] == "13.5"


def test_jira_reads_every_issue_and_worklog_and_writes_a_field(served, expected):
    j = jira.JIRA(
        server=served["jira_url"], basic_auth=(served["email"], served["token"]), max_retries=0
    )
    issues = j.enhanced_search_issues(
        "project in (SUP, ENG, OPS)", maxResults=0, fields=["status", "timetracking", "updated"]
    )
    assert sorted(i.key for i in issues) == sorted(expected[1].issues)
    ids, url = [], f"{served['jira_url']}/rest/api/2/worklog/updated?since=0"
    while url:
        page = j._session.get(url).json()
        ids += [v["worklogId"] for v in page["values"]]
        url = None if page["lastPage"] else page["nextPage"]
    assert sorted(set(ids)) == sorted(expected[1].worklogs)
    field = j._session.post(
        f"{served['jira_url']}/rest/api/2/field",
        json={
            "name": "EVM EAC (h)",
            "type": "com.atlassian.jira.plugin.system.customfieldtypes:float",
        },
    ).json()["id"]
    issues[0].update(fields={field: 42.0})
    answer = requests.get(
        f"{served['jira_url']}/rest/api/3/issue/{issues[0].key}",
        params={"fields": field},
        auth=(served["email"], served["token"]),
    )
    assert answer.json()["fields"][field] == 42.0
