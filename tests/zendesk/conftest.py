"""Fixtures for the Zendesk connector tests: a connector on a fake host whose sleeps
and clock are recorded, never real."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import responses

from connectors.zendesk.connector import ZendeskConnector

BASE = "https://acme.zendesk.com"
TOKEN = "s3cr3t-T0KEN-value"


class FakeTime:
    """A clock that moves only when slept on; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def make_connector(fake_time: FakeTime) -> Callable[..., ZendeskConnector]:
    made: list[ZendeskConnector] = []

    def make(**overrides: Any) -> ZendeskConnector:
        options: dict[str, Any] = {
            "subdomain": "acme",
            "url": None,
            "email": "bot@acme.test",
            "token": TOKEN,
            "start": None,
            "estimate_field": None,
            "time_fields": {
                "total": "Total time spent (sec)",
                "last_update": "Time spent last update (sec)",
            },
            "max_quota_share": 0.5,
            "per_page": 1000,
            "timeout": 30.0,
            "retry": {"attempts": 4, "max_retry_after": 60.0},
        }
        options.update(overrides)
        connector = ZendeskConnector.from_options(
            "zd", options, sleep=fake_time.sleep, clock=fake_time.clock
        )
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


TICKET_FIELDS = [
    {"id": 501, "title": "Total time spent (sec)", "type": "integer"},
    {"id": 502, "title": "Time spent last update (sec)", "type": "integer"},
    {"id": 503, "title": "Estimate (h)", "type": "decimal"},
    {"id": 504, "title": "EVM CPI", "type": "decimal"},
    {"id": 505, "title": "EVM status", "type": "text"},
    {"id": 506, "title": "EVM forecast", "type": "date"},
    {"id": 507, "title": "Notes", "type": "textarea"},
]
ORGANIZATION_FIELDS = [
    {"id": 601, "key": "evm_cpi", "title": "EVM CPI", "type": "decimal"},
    {"id": 602, "key": "evm_status", "title": "EVM status", "type": "text"},
]


def add_fields(api: responses.RequestsMock) -> None:
    """The account's ticket and organization fields, as zenpy lists them."""
    api.get(
        f"{BASE}/api/v2/ticket_fields.json",
        json={"ticket_fields": TICKET_FIELDS, "next_page": None, "count": len(TICKET_FIELDS)},
    )
    api.get(
        f"{BASE}/api/v2/organization_fields.json",
        json={
            "organization_fields": ORGANIZATION_FIELDS,
            "next_page": None,
            "count": len(ORGANIZATION_FIELDS),
        },
    )
