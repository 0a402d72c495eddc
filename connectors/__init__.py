"""Helpdesk connectors, and the registry from a source kind to its connector.

``create(name, kind, options)`` builds a connector from a source's resolved options
(secrets already read from the environment or files by the config).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import Connector


def create(name: str, kind: str, options: Mapping[str, Any]) -> Connector:
    """Build the connector for a source of ``kind`` (``zendesk`` or ``jira``)."""
    if kind == "zendesk":
        from connectors.zendesk.connector import ZendeskConnector

        return ZendeskConnector.from_options(name, options)
    if kind == "jira":
        from connectors.jira.connector import JiraConnector

        return JiraConnector.from_options(name, options)
    raise ValueError(f"source '{name}': unknown kind '{kind}' (expected zendesk or jira)")
