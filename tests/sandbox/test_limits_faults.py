"""Rate limits like the real ones, and every fault kind, deterministic with a seed."""

from __future__ import annotations

import time

import pytest
import requests

from evm_sync.sandbox import Sandbox
from evm_sync.sandbox.faults import FaultSpec
from tests.sandbox.conftest import NOW


def ticket_url(sb: Sandbox) -> str:
    return f"{sb.url}/api/v2/tickets/{next(iter(sb.zendesk.tickets))}.json"


def export_url(sb: Sandbox) -> str:
    return f"{sb.url}/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=10"


def test_limits_are_off_by_default(sb, zd):
    answers = [zd.get(ticket_url(sb)) for _ in range(30)]
    assert {a.status_code for a in answers} == {200}
    assert "X-Rate-Limit" not in answers[0].headers


def test_zendesk_account_budget_then_429_with_retry_after(sb, zd):
    sb.set_rate_limit(per_minute=5, export_per_minute=2)
    answers = [zd.get(ticket_url(sb)) for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert {a.headers["X-Rate-Limit"] for a in answers} == {"5"}
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    sb.advance(60)
    assert zd.get(ticket_url(sb)).status_code == 200


def test_export_has_its_own_lower_budget(sb, zd):
    sb.set_rate_limit(per_minute=100, export_per_minute=2)
    answers = [zd.get(export_url(sb)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "remaining=1" in answers[0].headers["Zendesk-RateLimit-incremental-exports"]
    assert answers[2].headers["Retry-After"]
    assert zd.get(ticket_url(sb)).status_code == 200, "the account budget is not spent"


def test_jira_budget_and_headers(sb, jr):
    sb.set_rate_limit(per_minute=3)
    answers = [jr.get(f"{sb.url}/rest/api/3/myself") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert answers[0].headers["X-RateLimit-Remaining"] == "2"
    assert answers[0].headers["X-RateLimit-Reset"].endswith("Z")
    assert answers[3].headers["RateLimit-Reason"]
    assert int(answers[3].headers["Retry-After"]) >= 1
    sb.set_rate_limit(None)
    assert jr.get(f"{sb.url}/rest/api/3/myself").status_code == 200


def test_rate_limit_given_at_start():
    with Sandbox.start(tickets=5, now=NOW, rate_limit=(2, None)) as sb:
        auth = (sb.email, sb.token)
        codes = [
            requests.get(f"{sb.url}/rest/api/2/myself", auth=auth).status_code for _ in range(3)
        ]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize("kind", ["429", "500", "502", "503"])
def test_error_faults(sb, zd, jr, kind):
    sb.set_faults(f"{kind}=1")
    z, j = zd.get(ticket_url(sb)), jr.get(f"{sb.url}/rest/api/3/myself")
    assert z.status_code == j.status_code == int(kind)
    if kind == "429":
        assert z.headers["Retry-After"] and j.headers["Retry-After"]
    sb.set_faults("")
    assert zd.get(ticket_url(sb)).status_code == 200


def test_dropped_connection(sb, zd):
    sb.set_faults("drop=1")
    with pytest.raises(requests.ConnectionError):
        zd.get(ticket_url(sb))
    assert sb.requests[-1].status == 0


def test_slow_response(sb, zd):
    sb.set_faults("slow=1,delay=0.3")
    began = time.monotonic()
    assert zd.get(ticket_url(sb)).status_code == 200
    assert time.monotonic() - began >= 0.3


def test_malformed_json(sb, zd):
    sb.set_faults("malformed=1")
    answer = zd.get(ticket_url(sb))
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_partial_update_many_failures(sb, zd):
    open_ids = [t["id"] for t in sb.zendesk.tickets.values() if t["status"] != "deleted"][:20]
    for i in open_ids:
        sb.zendesk.tickets[i]["status"] = "open"
    body = {"tickets": [{"id": i, "tags": ["evm"]} for i in open_ids]}

    def failed(seed: int) -> list[int]:
        sb.set_faults("partial=0.5", seed=seed)
        job = zd.put(f"{sb.url}/api/v2/tickets/update_many.json", json=body).json()
        results = zd.get(job["job_status"]["url"]).json()["job_status"]["results"]
        return [r["id"] for r in results if not r["success"]]

    first, again, other = failed(4), failed(4), failed(5)
    assert 0 < len(first) < len(open_ids)
    assert first == again and first != other
    assert all(sb.zendesk.tickets[i]["tags"] == ["evm"] for i in set(open_ids) - set(other))


def test_faults_are_deterministic_with_a_seed(sb, zd):
    def statuses(seed: int) -> list[int]:
        sb.set_faults("500=0.3,503=0.2", seed=seed)
        return [zd.get(ticket_url(sb)).status_code for _ in range(30)]

    first = statuses(9)
    assert first == statuses(9)
    assert first != statuses(10)
    assert {500, 503, 200} <= set(first)


def test_faults_from_the_admin_endpoint_spare_admin_calls(sb, zd):
    assert requests.put(f"{sb.url}/_sandbox/faults", json={"faults": "503=1"}).status_code == 200
    assert zd.get(ticket_url(sb)).status_code == 503
    assert requests.get(f"{sb.url}/_sandbox/faults").json()["rates"] == {"503": 1.0}
    requests.put(f"{sb.url}/_sandbox/faults", json={"faults": ""})
    assert zd.get(ticket_url(sb)).status_code == 200
    bad = requests.put(f"{sb.url}/_sandbox/faults", json={"faults": "teapot=1"})
    assert bad.status_code == 400 and "teapot" in bad.text


@pytest.mark.parametrize("text", ["500", "500=2", "foo=0.1", "500=0.6,503=0.6", "delay=-1"])
def test_bad_fault_specs_are_refused(text):
    with pytest.raises(ValueError):
        FaultSpec.parse(text)
