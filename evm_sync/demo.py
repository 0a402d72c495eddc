"""The demo: a seeded sandbox helpdesk, a ready config, one sync of a Zendesk job and
a Jira job through the real connectors over loopback, and the pushed fields read back.

``run_demo`` returns what happened; the CLI shows it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import FieldReport, Target
from evm_sync.config_loader import load_config
from evm_sync.push_plan import field_specs, target_of
from evm_sync.sandbox import Sandbox
from evm_sync.sources import open_connectors
from evm_sync.state import StateStore
from evm_sync.sync import JobRun, run_job

DEMO_NOW = "2026-11-20T12:00:00Z"
TOKEN_VARIABLE = "EVM_SYNC_SANDBOX_TOKEN"
ZENDESK_FIELDS = {"evm_cpi": "EVM CPI", "evm_spi": "EVM SPI", "evm_eac": "EVM EAC (h)",
                  "evm_status": "EVM status", "evm_forecast_finish": "EVM forecast finish",
                  "evm_as_of": "EVM as of"}  # fmt: skip
ORGANIZATION_FIELDS = {"evm_cpi": "evm_cpi", "evm_spi": "evm_spi", "evm_status": "evm_status"}
JIRA_FIELDS = {"evm_cpi": "EVM CPI", "evm_spi": "EVM SPI", "evm_status": "EVM status",
               "evm_forecast_finish": "EVM forecast finish"}  # fmt: skip

CONFIG = """\
# Written by `evm-sync demo`: the sandbox helpdesk at {url}.
# To use a real helpdesk, replace url with subdomain = "yourcompany" (Zendesk) or your
# Jira site's URL, set email, and export the token in the variable named below.

[state]
url = "sqlite:///{state}"

[sources.zendesk]
kind = "zendesk"
url = "{url}"
email = "{email}"
token = "${{{variable}}}"
estimate_field = "Estimate (hours)"

[sources.jira]
kind = "jira"
url = "{url}"
email = "{email}"
token = "${{{variable}}}"

[jobs.support-queue]
sources = ["zendesk"]
schedule = "*/15 * * * *"
window = {{ kind = "month" }}
baseline = {{ kind = "capacity", budget_hours = 2800.0 }}

[jobs.support-queue.weighting]
order = ["estimate", "history", "table", "default"]
class_by = ["type", "priority"]
table = {{ urgent = 4.0, high = 2.0 }}

[[jobs.support-queue.push]]
target = {{ kind = "zendesk_organization", id = {organization} }}
fields = {organization_fields}

[[jobs.support-queue.push]]
target = {{ kind = "zendesk_ticket", id = {summary_ticket} }}
fields = {ticket_fields}

[jobs.platform-quarter]
sources = ["jira"]
schedule = "0 * * * *"
period = "week"
window = {{ kind = "fixed", start = 2026-10-01, end = 2027-01-01 }}
baseline = {{ kind = "due", planned_finish = ["due_date"] }}
weighting = {{ order = ["estimate", "history", "default"], hours_per_point = 4.0 }}
earning = {{ rule = "50/50" }}

[jobs.platform-quarter.scope.jira]
jql = "project = SUP"

[[jobs.platform-quarter.push]]
target = {{ kind = "jira_issue", key = "{epic}" }}
fields = {jira_fields}

[[jobs.platform-quarter.push]]
target = {{ kind = "jira_property", key = "{epic}", property = "evm" }}
"""


@dataclass(frozen=True)
class DemoOutcome:
    config_path: Path
    url: str
    fields: list[FieldReport]
    runs: list[JobRun]
    read_back: dict[str, dict[str, Any]]


def _inline(mapping: dict[str, str]) -> str:
    return "{ " + ", ".join(f'{k} = "{v}"' for k, v in mapping.items()) + " }"


MARKER = ".evm-sync-demo"


class DemoFolderError(ValueError):
    """The demo's folder holds something the demo did not make."""


def prepare_folder(folder: Path) -> None:
    """Empty ``folder`` for a new demo, but only if an earlier demo made it (or it is
    empty or absent): a demo never deletes anything of the user's."""
    if folder.exists():
        if not folder.is_dir():
            raise DemoFolderError(f"--folder: {folder} is a file, not a folder")
        if any(folder.iterdir()) and not (folder / MARKER).exists():
            raise DemoFolderError(
                f"--folder: {folder} is not empty and was not made by the demo; "
                "name a new or empty folder"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by evm-sync demo; the next demo empties this folder\n")


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def run_demo(folder: Path, *, tickets: int = 3000, seed: int = 42) -> DemoOutcome:
    """Run the whole demo in ``folder`` (made anew) and return what it did."""
    prepare_folder(folder)
    with Sandbox.start(tickets=tickets, seed=seed, now=DEMO_NOW) as sandbox:
        open_ticket = next(
            t["id"] for t in sandbox.zendesk.tickets.values() if t["status"] == "open"
        )
        config_path = folder / "config.toml"
        config_path.write_text(CONFIG.format(
            url=sandbox.url, email=sandbox.email, variable=TOKEN_VARIABLE,
            state=(folder / "state.db").resolve(),
            organization=next(iter(sandbox.zendesk.organizations)),
            summary_ticket=open_ticket, epic=next(iter(sandbox.jira.issues)),
            organization_fields=_inline(ORGANIZATION_FIELDS), ticket_fields=_inline(ZENDESK_FIELDS),
            jira_fields=_inline(JIRA_FIELDS),
        ))  # fmt: skip
        with _environment(TOKEN_VARIABLE, sandbox.token):
            config = load_config(config_path, check_secrets=True)
            fields = _create_fields(config)
            runs: list[JobRun] = []
            with StateStore.open(config.state.url) as store:
                for name in config.jobs:
                    runs.append(run_job(config, name, store=store, as_of=sandbox.now()))
            read_back = _read_back(config)
    return DemoOutcome(config_path, sandbox.url, fields, runs, read_back)


def _create_fields(config) -> list[FieldReport]:
    wanted: dict[str, list] = {"zendesk": [], "jira": []}
    for job in config.jobs.values():
        for _, spec in field_specs(job):
            wanted["zendesk" if spec.target_kind.startswith("zendesk") else "jira"].append(spec)
    reports: list[FieldReport] = []
    for name, connector in open_connectors(config, wanted).items():
        try:
            reports += connector.ensure_fields(wanted[name], create=True)
        finally:
            connector.close()
    return reports


def _read_back(config) -> dict[str, dict[str, Any]]:
    """Every push target's values, read through the connectors as a user would see them."""
    out: dict[str, dict[str, Any]] = {}
    live = open_connectors(config, ["zendesk", "jira"])
    try:
        for job in config.jobs.values():
            for push in job.push:
                target: Target = target_of(push.target)
                source = "zendesk" if target.kind.startswith("zendesk") else "jira"
                refs = [str(r) for r in push.fields.values()] or [str(target.property)]
                out[str(target)] = live[source].read([target], refs).get(target, {})
    finally:
        for connector in live.values():
            connector.close()
    return out
