"""Sources as a job sees them: connectors built from the config (secrets read then),
and the job's scope on each source."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import connectors
from connectors.base import Connector
from evm_sync.config import Config, ScopeConfig
from evm_sync.config_loader import ConfigError, resolve_secret
from evm_sync.model import Ticket


def source_options(config: Config, name: str) -> dict[str, Any]:
    """A source's settings as its connector takes them, the secret read now."""
    source = config.sources[name]
    options = source.model_dump(exclude={"kind", "token", "token_file"})
    try:
        options["token"] = resolve_secret(source)
    except ConfigError as error:
        raise ConfigError(f"sources.{name}.{problem}" for problem in error.problems) from None
    return options


def open_connectors(config: Config, names: Iterable[str]) -> dict[str, Connector]:
    return {
        name: connectors.create(name, config.sources[name].kind, source_options(config, name))
        for name in names
    }


def scope_key(job_name: str, scope: ScopeConfig | None) -> str | None:
    """Jira pulls are per job when the job has a JQL (its members are kept apart)."""
    return f"job:{job_name}" if scope is not None and scope.jql else None


def in_scope(ticket: Ticket, scope: ScopeConfig | None) -> bool:
    if scope is None:
        return True
    for name, wanted in scope.zendesk_filters().items():
        if name == "tags":
            if not set(wanted) & set(ticket.tags):
                return False
        elif ticket.attribute(name) not in wanted:
            return False
    return True
