"""Fixtures: sandboxes on free loopback ports, and clients pointed at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from evm_sync.sandbox import Sandbox

NOW = "2026-11-20T12:00:00Z"


def assert_on_spec(sandbox: Sandbox) -> None:
    """Every request the tests sent and every answer the sandbox gave match the specs."""
    from tests.sandbox import spec

    found = [line for exchange in sandbox.exchanges for line in spec.check(exchange)]
    assert found == [], "answers off the official API descriptions:\n" + "\n".join(found[:20])


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    """5000 tickets, shared by a module's read-only tests."""
    with Sandbox.start(tickets=5000, seed=7, now=NOW, record_exchanges=True) as sb:
        yield sb
    assert_on_spec(sb)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A small sandbox of its own for tests that change data, faults or limits."""
    with Sandbox.start(tickets=60, seed=3, now=NOW, record_exchanges=True) as sandbox:
        yield sandbox
    assert_on_spec(sandbox)


def zendesk_session(sandbox: Sandbox) -> requests.Session:
    session = requests.Session()
    session.auth = (f"{sandbox.email}/token", sandbox.token)
    return session


def jira_session(sandbox: Sandbox) -> requests.Session:
    session = requests.Session()
    session.auth = (sandbox.email, sandbox.token)
    return session


@pytest.fixture
def zd(sb: Sandbox) -> requests.Session:
    return zendesk_session(sb)


@pytest.fixture
def jr(sb: Sandbox) -> requests.Session:
    return jira_session(sb)
