"""A sandbox helpdesk, a config for it and live connectors that never really sleep."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.jira.connector import JiraConnector
from connectors.zendesk.connector import ZendeskConnector
from evm_sync.config import Config
from evm_sync.config_loader import parse_config
from evm_sync.sandbox import Sandbox
from evm_sync.sources import source_options
from evm_sync.state import StateStore
from evm_sync.sync import JobRun, run_job
from tests.state.conftest import pg_url  # noqa: F401 - a fixture, used by name

NOW = "2026-11-20T12:00:00Z"
ZENDESK_FIELDS = {"evm_cpi": "EVM CPI", "evm_spi": "EVM SPI", "evm_status": "EVM status",
                  "evm_eac": "EVM EAC", "evm_as_of": "EVM as of"}  # fmt: skip
ORG_FIELDS = {"evm_cpi": "evm_cpi", "evm_spi": "evm_spi", "evm_status": "evm_status"}
JIRA_FIELDS = {
    "evm_cpi": "EVM CPI",
    "evm_status": "EVM status",
    "evm_forecast_finish": "EVM finish",
}


def make_config(sb: Sandbox, state_url: str, **jobs_override: Any) -> Config:
    summary = next(t["id"] for t in sb.zendesk.tickets.values() if t["status"] == "open")
    org = next(iter(sb.zendesk.organizations))
    jobs = {
        "queue": {
            "sources": ["zd"],
            "baseline": {"kind": "capacity", "budget_hours": 2000.0},
            "push": [
                {"target": {"kind": "zendesk_organization", "id": org}, "fields": ORG_FIELDS},
                {"target": {"kind": "zendesk_ticket", "id": summary}, "fields": ZENDESK_FIELDS},
            ],
        },
        "quarter": {
            "sources": ["jr"],
            "window": {
                "kind": "fixed",
                "start": "2026-10-01T00:00:00Z",
                "end": "2027-01-01T00:00:00Z",
            },
            "baseline": {"kind": "due", "planned_finish": ["due_date"]},
            "weighting": {"hours_per_point": 4.0},
            "period": "week",
            "scope": {"jr": {"jql": "project = SUP"}},
            "push": [
                {"target": {"kind": "jira_issue", "key": "SUP-1"}, "fields": JIRA_FIELDS},
                {"target": {"kind": "jira_property", "key": "SUP-1"}},
            ],
        },
        **jobs_override,
    }
    return parse_config({
        "state": {"url": state_url},
        "sources": {
            "zd": {"kind": "zendesk", "url": sb.url, "email": sb.email, "token": "${EVM_TEST_TOKEN}",
                   "estimate_field": "Estimate (hours)"},
            "jr": {"kind": "jira", "url": sb.url, "email": sb.email, "token": "${EVM_TEST_TOKEN}"},
        },
        "jobs": jobs,
    })  # fmt: skip


@dataclass
class Helpdesk:
    """A sandbox with a config, a store and connectors wired to the sandbox clock."""

    sandbox: Sandbox
    config: Config
    store: StateStore

    def connectors(self) -> dict[str, Any]:
        os.environ["EVM_TEST_TOKEN"] = self.sandbox.token  # restored by the fixture's monkeypatch
        no_sleep = lambda seconds: None  # noqa: E731
        return {
            "zd": ZendeskConnector.from_options(
                "zd", source_options(self.config, "zd"), sleep=no_sleep
            ),
            "jr": JiraConnector.from_options(
                "jr", source_options(self.config, "jr"), sleep=no_sleep
            ),
        }

    def sync(self, job: str, **options: Any) -> JobRun:
        live = options.pop("live", None) or self.connectors()
        try:
            as_of = options.pop("as_of", None) or self.sandbox.now()
            return run_job(self.config, job, store=self.store, as_of=as_of, live=live, **options)
        finally:
            for connector in live.values():
                connector.close()

    def create_fields(self) -> None:
        from evm_sync.push_plan import field_specs

        live = self.connectors()
        for job in self.config.jobs.values():
            for _, spec in field_specs(job):
                source = "zd" if spec.target_kind.startswith("zendesk") else "jr"
                live[source].ensure_fields([spec], create=True)

    def writes(self) -> list[str]:
        """Requests that change the helpdesk (POST worklog/list is a read)."""
        return [f"{r.method} {r.path}" for r in self.sandbox.requests
                if r.method in ("PUT", "POST", "DELETE") and not r.path.endswith("/worklog/list")]  # fmt: skip


@pytest.fixture
def helpdesk_factory(
    start_sandbox, tmp_path: Path, monkeypatch
) -> Iterator[Callable[..., Helpdesk]]:
    stores: list[StateStore] = []

    def make(tickets: int = 1500, state_url: str | None = None, **sandbox_options: Any) -> Helpdesk:
        sb = start_sandbox(tickets=tickets, seed=5, now=NOW, **sandbox_options)
        monkeypatch.setenv("EVM_TEST_TOKEN", sb.token)
        url = state_url or f"sqlite:///{tmp_path / f'state-{len(list(tmp_path.iterdir()))}.db'}"
        config = make_config(sb, url)
        helpdesk = Helpdesk(sb, config, StateStore.open(url))
        stores.append(helpdesk.store)
        helpdesk.create_fields()
        return helpdesk

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def helpdesk(helpdesk_factory) -> Helpdesk:
    return helpdesk_factory()
