"""One retry layer (429 and 503 with Retry-After, 5xx, resets), converted errors, and
a token that never shows in errors, reprs or logs."""

from __future__ import annotations

import base64
import logging

import pytest
import requests

from connectors.base import Scope, Target, Write
from connectors.errors import FatalError
from tests.jira.conftest import API, TOKEN, issue, site

SEARCH = f"{API}/search/jql"
PAGE = {"isLast": True, "issues": [issue("1", "2026-03-01T10:00:00.000+0000")]}


def pull(connector):
    return [t for page in connector.pull("issues", None, Scope()) for t in page.tickets]


def test_429_waits_what_retry_after_says_then_goes_on(rsps, make, sleeps):
    site(rsps)
    rsps.get(
        SEARCH, status=429, headers={"Retry-After": "7"}, json={"errorMessages": ["Rate limit"]}
    )
    rsps.get(SEARCH, status=503, headers={"Retry-After": "2"}, body="")
    rsps.get(SEARCH, json=PAGE)
    assert [t.id for t in pull(make())] == ["1"]
    assert sleeps == [7.0, 2.0]


def test_5xx_and_resets_back_off_then_give_a_clear_error(rsps, make, sleeps):
    site(rsps)
    rsps.get(SEARCH, status=502, body="bad gateway")
    rsps.get(SEARCH, body=requests.ConnectionError("connection reset by peer"))
    rsps.get(SEARCH, status=500, json={"errorMessages": ["Internal server error"]})
    rsps.get(SEARCH, status=500, json={"errorMessages": ["Internal server error"]})
    with pytest.raises(FatalError) as caught:
        pull(make())
    message = str(caught.value)
    assert "GET /rest/api/3/search/jql" in message and "-> 500" in message
    assert "after 4 attempts" in message and "Internal server error" in message
    assert len(sleeps) == 3 and all(s > 0 for s in sleeps)


def test_a_retry_after_past_the_cap_stops_at_once(rsps, make, sleeps):
    site(rsps)
    rsps.get(
        SEARCH, status=429, headers={"Retry-After": "3600"}, json={"errorMessages": ["slow down"]}
    )
    with pytest.raises(FatalError, match="3600 s, more than the 60 s cap"):
        pull(make())
    assert sleeps == []


def test_bad_jql_is_fatal_with_jiras_message_and_no_retry(rsps, make, sleeps):
    site(rsps)
    rsps.get(
        SEARCH,
        status=400,
        json={"errorMessages": ["Field 'projekt' does not exist."], "errors": {}},
    )
    with pytest.raises(FatalError) as caught:
        list(make().pull("issues", None, Scope(jql="projekt = X")))
    assert caught.value.status == 400 and caught.value.endpoint == "GET /rest/api/3/search/jql"
    assert "Field 'projekt' does not exist." in str(caught.value)
    assert sleeps == []


def test_the_library_never_retries_by_itself(rsps, make, sleeps):
    site(rsps)
    rsps.get(SEARCH, status=429, json={})
    rsps.get(SEARCH, json=PAGE)
    pull(make())
    searches = [c for c in rsps.calls if c.request.url.startswith(SEARCH)]
    assert len(searches) == 2 and len(sleeps) == 1  # one retry, ours


def test_quota_headers_slow_us_down_to_our_share(rsps, make, sleeps):
    headers = {"X-RateLimit-Limit": "4", "X-RateLimit-Remaining": "3"}
    rsps.get(f"{API}/myself", json={"timeZone": "UTC"}, headers=headers)
    rsps.get(f"{API}/field", json=[], headers=headers)
    rsps.get(SEARCH, json=PAGE, headers=headers)
    pull(make(max_quota_share=0.5))  # 2 requests a minute allowed: the third waits
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 60


@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_the_token_never_appears_in_errors_reprs_or_logs(rsps, make, caplog, auth):
    caplog.set_level(logging.DEBUG)
    basic = base64.b64encode(f"bot@example.com:{TOKEN}".encode()).decode()
    echo = {"errorMessages": [f"token {TOKEN} is not valid"], "errors": {}}
    rsps.get(f"{API}/field", status=401, json=echo)
    rsps.put(f"{API}/issue/OPS-1/properties/evm", status=403, json=echo)
    rsps.get(
        f"{API}/issue/OPS-1/properties/evm",
        body=requests.ConnectionError(f"reset while sending {TOKEN}"),
    )
    connector = make(auth=auth)
    prop = Target("jira_property", "OPS-1", "evm")

    texts = [repr(connector), repr(connector.client), repr(connector.client.settings)]
    with pytest.raises(FatalError) as unauthorized:
        pull(connector)
    texts += [str(unauthorized.value), repr(unauthorized.value)]
    [refused] = connector.push([Write(prop, {"evm": {"a": 1}})])
    texts.append(refused.error)
    with pytest.raises(FatalError) as reset:
        connector.read([prop], [])
    texts += [str(reset.value), caplog.text]

    assert "not allowed" in texts[3] and "-> 401" in texts[3]
    assert "-> 403" in refused.error and "after 4 attempts" in texts[-2]
    assert unauthorized.value.__cause__ is None and reset.value.__cause__.__cause__ is None
    for text in texts:
        assert TOKEN not in text
        assert basic not in text
