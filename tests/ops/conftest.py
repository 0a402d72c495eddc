"""Fixtures of the operations tests: configs over a sandbox, daemon processes, logging
restored after each test. The state-store URLs (SQLite file, fresh PostgreSQL
schema) are the state tests' own fixtures."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.state.conftest import pg_url, store_url  # noqa: F401  (fixtures, reused)

NOW = "2026-11-20T12:00:00Z"
TOKEN_ENV = "EVM_OPS_TEST_TOKEN"
BAD_TOKEN_ENV = "EVM_OPS_TEST_BAD_TOKEN"
BAD_TOKEN = "not-the-token-0123456789"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``setup_logging`` changes the root logger: put it back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def sandbox_config(
    url: str,
    email: str,
    state_url: str,
    *,
    per_page: int = 100,
    stop_timeout: float = 20.0,
    failing_job: bool = True,
) -> str:
    """A TOML config: job ``zd`` (Zendesk) and ``jr`` (Jira) on the sandbox, and
    ``bad``, whose token the sandbox refuses."""
    text = f"""
[state]
url = "{state_url}"

[daemon]
stop_timeout = {stop_timeout}

[log]
format = "json"

[sources.zd]
kind = "zendesk"
url = "{url}"
email = "{email}"
token = "${{{TOKEN_ENV}}}"
per_page = {per_page}
retry = {{ attempts = 1 }}

[sources.jr]
kind = "jira"
url = "{url}"
email = "{email}"
token = "${{{TOKEN_ENV}}}"
page_size = {per_page}
retry = {{ attempts = 1 }}

[jobs.zd]
sources = ["zd"]

[jobs.jr]
sources = ["jr"]
"""
    if failing_job:
        text += f"""
[sources.bad]
kind = "zendesk"
url = "{url}"
email = "{email}"
token = "${{{BAD_TOKEN_ENV}}}"
retry = {{ attempts = 1 }}

[jobs.bad]
sources = ["bad"]
"""
    return text


class DaemonProcess:
    """``evm-sync daemon`` in a subprocess; its log goes to a file the test reads."""

    def __init__(self, config: Path, log: Path, token: str, *extra: str) -> None:
        env = {**os.environ, TOKEN_ENV: token, BAD_TOKEN_ENV: BAD_TOKEN}
        command = [
            sys.executable,
            "-m",
            "evm_sync.cli",
            "daemon",
            "--config",
            str(config),
            "--listen",
            "127.0.0.1:0",
            *extra,
        ]
        self.log_path = log
        self._log = log.open("w")
        self.process = subprocess.Popen(command, env=env, stderr=self._log, stdout=self._log)
        self.address = self._wait_for_address()

    def _wait_for_address(self, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"http://(127\.0\.0\.1:\d+)", self.log())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited early:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"the daemon did not announce its address:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log().splitlines() if line.startswith("{")]

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://{self.address}{path}", timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def health(self) -> dict[str, Any]:
        status, body = self.get("/healthz")
        assert status == 200, body
        return json.loads(body)

    def metrics(self) -> dict[str, float]:
        """Samples by ``name{labels}``, as the text exposition shows them."""
        status, body = self.get("/metrics")
        assert status == 200
        samples = {}
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                samples[name] = float(value)
        return samples

    def terminate(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    """Daemon processes a test starts; killed afterwards if still running."""
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        daemon.kill()


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
