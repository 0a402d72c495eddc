"""Pure conversions between model objects and table rows, and the JSON the store keeps."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from evm_sync.model import Ticket, Worklog

TICKET_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Ticket))
WORKLOG_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Worklog))
_TUPLE_FIELDS = ("tags", "components")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> str:
    """JSON text of ``value``; datetimes and dates become ISO 8601 strings."""
    return json.dumps(value, default=_default, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> Any:
    return json.loads(text)


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    row = {name: getattr(ticket, name) for name in TICKET_FIELDS}
    for name in _TUPLE_FIELDS:
        row[name] = json.dumps(list(row[name]))
    return row


def ticket_from_row(row: Mapping[str, Any]) -> Ticket:
    values = {name: row[name] for name in TICKET_FIELDS}
    for name in _TUPLE_FIELDS:
        values[name] = tuple(json.loads(values[name]))
    values["deleted"] = bool(values["deleted"])
    return Ticket(**values)


def worklog_row(worklog: Worklog) -> dict[str, Any]:
    return {name: getattr(worklog, name) for name in WORKLOG_FIELDS}


def worklog_from_row(row: Mapping[str, Any]) -> Worklog:
    return Worklog(**{name: row[name] for name in WORKLOG_FIELDS})
