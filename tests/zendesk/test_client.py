"""The client: a base URL per client (not per process), and no token in zenpy's logs."""

from __future__ import annotations

import logging
from datetime import date
from urllib.parse import parse_qs, urlsplit

from connectors import create
from connectors.base import Scope, Target, Write
from connectors.zendesk.client import rebase
from tests.zendesk.conftest import BASE, TOKEN, add_fields

FIELDS = {"ticket_fields": [{"id": 1, "title": "EVM CPI", "type": "decimal"}], "next_page": None}


def test_each_client_has_its_own_base_url(api, make_connector):
    api.get("http://a.local:8080/api/v2/ticket_fields.json", json=FIELDS)
    api.get("http://b.local:9090/zd/api/v2/ticket_fields.json", json=FIELDS)
    api.get("http://b.local:9090/zd/api/v2/incremental/tickets/cursor.json",
            json={"tickets": [], "after_cursor": "x", "end_of_stream": True})  # fmt: skip
    first = make_connector(url="http://a.local:8080/")
    second = make_connector(subdomain="ignored", url="http://b.local:9090/zd")
    assert first.catalog.ticket_fields()[0].title == "EVM CPI"
    assert second.catalog.ticket_fields()[0].id == 1
    list(second.pull("tickets", None, Scope()))
    hosts = [urlsplit(c.response.url).netloc for c in api.calls]
    assert hosts == ["a.local:8080", "b.local:9090", "b.local:9090"]


def test_rebase_keeps_path_and_query():
    assert rebase("https://x.zendesk.com/api/v2/t.json?a=1", "http://h:1/p") == (
        "http://h:1/p/api/v2/t.json?a=1"
    )
    assert rebase("http://h:1/p/api/v2/t.json", "http://h:1/p") == "http://h:1/p/api/v2/t.json"


def test_start_date_counts_from_midnight_utc(api, make_connector):
    api.get(f"{BASE}/api/v2/incremental/tickets/cursor.json",
            json={"tickets": [], "after_cursor": "x", "end_of_stream": True})  # fmt: skip
    list(make_connector(start=date(2026, 1, 1)).pull("tickets", None, Scope()))
    query = parse_qs(urlsplit(api.calls[0].request.url).query)
    assert query["start_time"] == ["1767225600"]


def test_zenpy_calls_log_no_token(api, make_connector, caplog):
    caplog.set_level(logging.DEBUG)
    add_fields(api)
    api.put(f"{BASE}/api/v2/tickets/update_many.json", status=401,
            json={"error": "Couldn't authenticate you"})  # fmt: skip
    [result] = make_connector().push([Write(Target("zendesk_ticket", "1"), {"EVM CPI": 1})])
    assert not result.ok and "not allowed" in result.error
    assert "update_many" in caplog.text  # zenpy did log the call
    assert TOKEN not in caplog.text and TOKEN not in result.error


def test_registry_builds_the_connector_with_default_time_fields(api):
    api.get(f"{BASE}/api/v2/ticket_fields.json", json={"ticket_fields": [
        {"id": 1, "title": "Total time spent (sec)", "type": "integer"},
        {"id": 2, "title": "Time spent last update (sec)", "type": "integer"}]})  # fmt: skip
    api.get(f"{BASE}/api/v2/incremental/ticket_events.json",
            json={"ticket_events": [], "end_time": 10, "end_of_stream": True})  # fmt: skip
    options = {"subdomain": "acme", "url": None, "email": "bot@acme.test", "token": TOKEN,
               "start": None, "estimate_field": None, "max_quota_share": 0.5,
               "per_page": 1000, "timeout": 30.0,
               "retry": {"attempts": 2, "max_retry_after": 10.0}}  # fmt: skip
    connector = create("zd", "zendesk", options)
    try:
        assert connector.streams == ("tickets", "time_entries")
        [page] = connector.pull("time_entries", None, Scope())
        assert dict(page.bookmark) == {"start_time": 10}
    finally:
        connector.close()
