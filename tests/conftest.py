"""Shared fixtures: sandboxes whose secrets are watched for in every log record.

Every test's log output (all loggers, DEBUG and up, with tracebacks) is scanned for
the token of each sandbox started by the suite, and for Authorization headers; a
leak fails the test that logged it.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator

import pytest

from evm_sync.sandbox import Sandbox

SECRETS: set[str] = set()


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + repr(getattr(record, "__dict__", {})))


def remember_secret(token: str, email: str | None = None) -> None:
    """Watch for ``token`` (and its basic-auth encodings) in log output."""
    SECRETS.add(token)
    if email:
        for pair in (f"{email}:{token}", f"{email}/token:{token}"):
            SECRETS.add(base64.b64encode(pair.encode()).decode())


@pytest.fixture(autouse=True)
def no_secret_in_logs() -> Iterator[None]:
    collector = _Collector()
    root = logging.getLogger()
    level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(collector)
        root.setLevel(level)
    text = "\n".join(collector.lines)
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, "a sandbox secret appeared in log output"
    assert "Authorization: Basic" not in text and "Authorization: Bearer" not in text


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """``start_sandbox(tickets=..., ...)``: a running sandbox, stopped after the test."""
    started: list[Sandbox] = []

    def start(**options) -> Sandbox:
        sandbox = Sandbox.start(**options)
        started.append(sandbox)
        remember_secret(sandbox.token, sandbox.email)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()
