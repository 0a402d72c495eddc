"""Limits and errors at the edge: retries, Retry-After, the quota share, timeouts,
error kinds with endpoint, status and Zendesk's message, and no token anywhere."""

from __future__ import annotations

import logging

import pytest
import requests

from connectors.base import Scope, Target
from connectors.errors import FatalError
from tests.zendesk.conftest import BASE, TOKEN, add_fields

TICKETS = f"{BASE}/api/v2/incremental/tickets/cursor.json"
DONE = {"tickets": [], "after_cursor": "c1", "end_of_stream": True}


def pull_all(connector):
    return list(connector.pull("tickets", None, Scope()))


def test_429_with_retry_after_waits_that_long(api, make_connector, fake_time):
    api.get(TICKETS, status=429, headers={"Retry-After": "7"}, json={"error": "TooManyRequests"})
    api.get(TICKETS, json=DONE)
    pages = pull_all(make_connector())
    assert pages[0].bookmark["after_cursor"] == "c1"
    assert fake_time.sleeps == [7.0]
    assert len(api.calls) == 2


def test_429_without_retry_after_backs_off(api, make_connector, fake_time):
    api.get(TICKETS, status=429, body="Too Many Requests")
    api.get(TICKETS, status=429, body="Too Many Requests")
    api.get(TICKETS, json=DONE)
    pull_all(make_connector())
    assert len(fake_time.sleeps) == 2 and all(s > 0 for s in fake_time.sleeps)
    assert fake_time.sleeps[1] >= fake_time.sleeps[0]


def test_retry_after_past_the_cap_is_a_clear_fatal_error(api, make_connector, fake_time):
    api.get(TICKETS, status=429, headers={"Retry-After": "3600"},
            json={"error": "APIRateLimitExceeded", "description": "Rate limit for ticket exports"})  # fmt: skip
    with pytest.raises(FatalError) as caught:
        pull_all(make_connector())
    message = str(caught.value)
    assert "3600 s, more than the 60 s cap" in message
    assert "Rate limit for ticket exports" in message
    assert caught.value.status == 429
    assert caught.value.endpoint == "GET /api/v2/incremental/tickets/cursor.json"
    assert fake_time.sleeps == []


def test_server_errors_and_resets_are_retried(api, make_connector):
    api.get(TICKETS, status=503, body="<html>unavailable</html>")
    api.get(TICKETS, body=requests.ConnectionError("connection reset by peer"))
    api.get(TICKETS, body=requests.Timeout("read timed out"))
    api.get(TICKETS, json=DONE)
    assert pull_all(make_connector())[0].bookmark["after_cursor"] == "c1"
    assert len(api.calls) == 4


def test_attempts_exhausted_names_endpoint_status_and_message(api, make_connector):
    api.get(TICKETS, status=500, json={"error": "InternalError", "description": "boom"})
    with pytest.raises(FatalError) as caught:
        pull_all(make_connector())
    assert "still failing after 4 attempts" in str(caught.value)
    assert "InternalError; boom" in str(caught.value)
    assert caught.value.status == 500 and caught.value.source == "zd"


def test_malformed_json_is_retried(api, make_connector):
    api.get(TICKETS, body='{"tickets": [', content_type="application/json")
    api.get(TICKETS, json=DONE)
    assert pull_all(make_connector())[0].bookmark["after_cursor"] == "c1"


def test_401_is_fatal_at_once_and_never_shows_the_token(api, make_connector, caplog):
    caplog.set_level(logging.DEBUG)
    api.get(TICKETS, status=401, json={"error": "Couldn't authenticate you"})
    connector = make_connector()
    with pytest.raises(FatalError) as caught:
        pull_all(connector)
    assert len(api.calls) == 1
    assert "not allowed" in str(caught.value) and "Couldn't authenticate you" in str(caught.value)
    # the token did go out (basic auth), and shows nowhere we print
    assert "Authorization" in api.calls[0].request.headers
    for text in (str(caught.value), repr(caught.value), caplog.text, repr(connector),
                 repr(connector.client.settings), str(connector.request_counts())):  # fmt: skip
        assert TOKEN not in text


def test_token_echoed_by_the_api_is_masked(api, make_connector):
    api.get(TICKETS, status=400, json={"error": "BadRequest", "description": f"bad {TOKEN}"})
    with pytest.raises(FatalError) as caught:
        pull_all(make_connector())
    assert TOKEN not in str(caught.value) and "***" in str(caught.value)


def test_every_request_has_a_timeout(api, make_connector, monkeypatch):
    seen = []
    original = requests.adapters.HTTPAdapter.send

    def spy(self, request, *args, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", spy)
    add_fields(api)
    api.get(f"{BASE}/api/v2/tickets/5.json", json={"ticket": {"id": 5, "custom_fields": []}})
    api.get(TICKETS, json=DONE)
    connector = make_connector(timeout=12.5)
    pull_all(connector)
    connector.read([Target("zendesk_ticket", "5")], ["EVM CPI"])
    assert seen and all(t == 12.5 for t in seen)


def test_quota_share_slows_the_connector(api, make_connector, fake_time):
    # the account allows 4 a minute; a share of 0.5 leaves 2 for us
    headers = {"X-Rate-Limit": "4", "X-Rate-Limit-Remaining": "3"}
    api.get(TICKETS, json={"tickets": [], "after_cursor": "a", "end_of_stream": False},
            headers=headers)  # fmt: skip
    api.get(TICKETS, json={"tickets": [], "after_cursor": "b", "end_of_stream": False},
            headers=headers)  # fmt: skip
    api.get(TICKETS, json={"tickets": [], "after_cursor": "c", "end_of_stream": True},
            headers=headers)  # fmt: skip
    pages = pull_all(make_connector(max_quota_share=0.5))
    assert len(pages) == 3
    assert len(fake_time.sleeps) == 1 and 59 <= fake_time.sleeps[0] <= 60


def test_zenpy_never_sleeps_on_its_own(api, make_connector, monkeypatch):
    slept = []
    monkeypatch.setattr("zenpy.lib.api.sleep", slept.append)
    api.get(f"{BASE}/api/v2/ticket_fields.json", status=429, headers={"Retry-After": "2"},
            json={"error": "TooManyRequests"})  # fmt: skip
    add_fields(api)
    connector = make_connector()
    assert connector.read([], []) == {}
    fields = connector.catalog.ticket_fields()
    assert slept == [] and len(fields) == 7
    assert connector.request_counts()["GET /api/v2/ticket_fields.json"] == 2


def test_exports_keep_within_a_share_of_their_own_limit(api, make_connector, fake_time):
    # No header names the exports' limit (10 a minute): it is configured. With 4 a
    # minute and a share of 0.5, the third export waits a minute; other calls do not.
    for cursor, end in (("a", False), ("b", False), ("c", True)):
        api.get(TICKETS, json={"tickets": [], "after_cursor": cursor, "end_of_stream": end},
                headers={"X-Rate-Limit": "700"})  # fmt: skip
    add_fields(api)
    connector = make_connector(max_quota_share=0.5, export_per_minute=4)
    assert len(pull_all(connector)) == 3
    assert len(fake_time.sleeps) == 1 and 59 <= fake_time.sleeps[0] <= 60
    for _ in range(5):
        connector.catalog.ticket_fields()
    assert len(fake_time.sleeps) == 1
