"""Tickets and worklogs from JSON Lines files, for ``evm-sync compute``.

A bad line is a one-line ``InputError`` naming the file, the line and the field; a
worklog of a ticket not in the file is a counted warning, never a guess.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from evm_sync.model import Ticket, Worklog, utc

DEFAULT_SOURCE = "file"


class InputError(ValueError):
    """A record that cannot be read as given."""


@dataclass(frozen=True)
class Loaded:
    tickets: list[Ticket]
    worklogs: list[Worklog]
    warnings: tuple[str, ...]


def _lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{where}: invalid JSON: {error.msg}") from None
            if not isinstance(record, dict):
                raise InputError(f"{where}: expected a JSON object")
            yield where, record


def _text(record: dict[str, Any], name: str, where: str, required: bool = False) -> str | None:
    value = record.get(name)
    if value is None or value == "":
        if required:
            raise InputError(f"{where}: {name}: required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{where}: {name}: expected text or a number, got {type(value).__name__}")
    return str(value)


def _instant(
    record: dict[str, Any], name: str, where: str, required: bool = False
) -> datetime | None:
    raw = _text(record, name, where, required)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return utc(value)
    except ValueError as error:
        reason = "has no time zone" if "no time zone" in str(error) else "is not ISO 8601"
        raise InputError(f"{where}: {name}: {raw!r} {reason}") from None


def _number(record: dict[str, Any], name: str, where: str) -> float | None:
    value = record.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {name}: expected a number, got {value!r}")
    return float(value)


def _due(record: dict[str, Any], where: str) -> tuple[datetime | None, date | None]:
    raw = _text(record, "due_at", where)
    if raw is not None and len(raw) == 10:
        try:
            return None, date.fromisoformat(raw)
        except ValueError:
            raise InputError(f"{where}: due_at: {raw!r} is not ISO 8601") from None
    return _instant(record, "due_at", where), None


def read_tickets(path: Path) -> list[Ticket]:
    """Tickets from ``path``; a ``due_at`` without a time is a due date."""
    tickets: list[Ticket] = []
    seen: dict[tuple[str, str], str] = {}
    for where, record in _lines(path):
        source = _text(record, "source", where) or DEFAULT_SOURCE
        ticket_id = _text(record, "id", where, required=True)
        assert ticket_id is not None
        if (source, ticket_id) in seen:
            raise InputError(
                f"{where}: id: duplicate ticket {ticket_id!r} (first at {seen[source, ticket_id]})"
            )
        seen[source, ticket_id] = where
        due_at, due_date = _due(record, where)
        estimate = _number(record, "estimate_hours", where)
        tickets.append(
            Ticket(
                source=source,
                id=ticket_id,
                created_at=_instant(record, "created_at", where, required=True),  # type: ignore[arg-type]
                type=_text(record, "type", where),
                priority=_text(record, "priority", where),
                status=_text(record, "status", where),
                due_at=due_at,
                due_date=due_date,
                resolved_at=_instant(record, "resolved_at", where),
                estimate_hours=estimate,
                group=_text(record, "group", where),
                assignee=_text(record, "assignee", where),
            )
        )
    return tickets


def read_worklogs(path: Path, tickets: list[Ticket]) -> tuple[list[Worklog], list[str]]:
    """Worklogs from ``path``, each attached to its ticket's source; warnings counted."""
    sources: dict[str, str | None] = {}
    for ticket in tickets:
        sources[ticket.id] = None if ticket.id in sources else ticket.source
    worklogs: list[Worklog] = []
    unknown = 0
    for where, record in _lines(path):
        log_id = _text(record, "id", where, required=True)
        ticket_id = _text(record, "ticket_id", where, required=True)
        seconds = _number(record, "seconds", where)
        if seconds is None:
            raise InputError(f"{where}: seconds: required")
        if seconds < 0:
            raise InputError(f"{where}: seconds: must be >= 0, got {seconds:g}")
        started = _instant(record, "started_at", where, required=True)
        source = _text(record, "source", where)
        if source is None:
            if ticket_id not in sources:
                unknown += 1
                continue
            source = sources[ticket_id]
            if source is None:
                raise InputError(
                    f"{where}: source: ticket {ticket_id!r} is in several sources; name one"
                )
        worklogs.append(
            Worklog(
                source=source,
                id=str(log_id),
                ticket_id=str(ticket_id),
                started_at=started,  # type: ignore[arg-type]
                seconds=round(seconds),
                author=_text(record, "author", where),
            )
        )
    warnings = (
        [f"{path}: {unknown} worklogs name a ticket not in the tickets file (ignored)"]
        if unknown
        else []
    )
    return worklogs, warnings


def load(tickets_path: Path, worklogs_path: Path | None) -> Loaded:
    tickets = read_tickets(tickets_path)
    worklogs, warnings = read_worklogs(worklogs_path, tickets) if worklogs_path else ([], [])
    return Loaded(tickets, worklogs, tuple(warnings))
