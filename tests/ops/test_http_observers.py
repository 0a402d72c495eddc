"""connectors.http observers: every exchange (status, or None without a response) and
every quota wait reach the callbacks, without the connectors knowing who listens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses

from connectors.http import (
    ApiAdapter,
    Exchange,
    QuotaWait,
    add_observer,
    remove_observer,
)
from connectors.retry import QuotaGate

URL = "https://acme.example/api/v2/tickets.json"


@pytest.fixture
def seen() -> Iterator[list[Exchange | QuotaWait]]:
    events: list[Exchange | QuotaWait] = []
    add_observer(events.append)
    yield events
    remove_observer(events.append)


def _session(gate: QuotaGate | None = None) -> requests.Session:
    session = requests.Session()
    session.mount("https://", ApiAdapter(gate, timeout=5))
    return session


@responses.activate
def test_each_response_and_each_failure_is_seen(seen: list[Exchange | QuotaWait]) -> None:
    responses.get(URL, json={}, status=200)
    responses.get(URL, json={}, status=503)
    session = _session()
    session.get(URL, params={"page": 2})
    session.get(URL)
    with pytest.raises(requests.ConnectionError):
        session.post("https://acme.example/api/v2/unregistered")
    assert seen == [
        Exchange("GET /api/v2/tickets.json", 200),
        Exchange("GET /api/v2/tickets.json", 503),
        Exchange("POST /api/v2/unregistered", None),
    ]


@responses.activate
def test_quota_waits_are_seen_and_the_gates_own_callback_still_runs(
    seen: list[Exchange | QuotaWait],
) -> None:
    responses.get(URL, json={}, headers={"X-Rate-Limit": "2", "X-Rate-Limit-Remaining": "1"})
    now = [1000.0]
    slept: list[float] = []
    own: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    gate = QuotaGate(0.5, clock=lambda: now[0], sleep=sleep, on_wait=own.append)
    session = _session(gate)
    _session(gate)  # a second adapter on the same gate must not report waits twice
    session.get(URL)  # learns: 2 a minute, our share 1
    now[0] += 10
    session.get(URL)  # must wait the 50 s left of the minute
    waits = [e for e in seen if isinstance(e, QuotaWait)]
    assert waits == [QuotaWait(50.0)]
    assert own == [50.0] and slept == [50.0]


@responses.activate
def test_a_removed_observer_hears_nothing_more() -> None:
    responses.get(URL, json={})
    events: list[Exchange | QuotaWait] = []
    add_observer(events.append)
    session = _session()
    session.get(URL)
    remove_observer(events.append)
    remove_observer(events.append)  # removing twice is harmless
    session.get(URL)
    assert events == [Exchange("GET /api/v2/tickets.json", 200)]
