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

from evm_sync.dataset import Dataset, DatasetBuilder
from evm_sync.model import Ticket, utc

DEFAULT_SOURCE = "file"


class InputError(ValueError):
    """A record that cannot be read as given."""


@dataclass(frozen=True)
class Loaded:
    data: Dataset
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


def read_tickets(path: Path) -> Iterator[tuple[str, Ticket]]:
    """Tickets from ``path``, each with its place; a ``due_at`` without a time is a date."""
    for where, record in _lines(path):
        source = _text(record, "source", where) or DEFAULT_SOURCE
        ticket_id = _text(record, "id", where, required=True)
        assert ticket_id is not None
        due_at, due_date = _due(record, where)
        yield (
            where,
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
                estimate_hours=_number(record, "estimate_hours", where),
                group=_text(record, "group", where),
                assignee=_text(record, "assignee", where),
            ),
        )


def load(tickets_path: Path, worklogs_path: Path | None) -> Loaded:
    """Both files into the engine's columns; worklogs of unknown tickets are counted."""
    builder = DatasetBuilder()
    sources: dict[str, set[str]] = {}
    for where, ticket in read_tickets(tickets_path):
        if (ticket.source, ticket.id) in builder:
            raise InputError(f"{where}: id: duplicate ticket {ticket.id!r}")
        builder.add_ticket(ticket)
        sources.setdefault(ticket.source, set()).add(ticket.id)
    only_source = next(iter(sources)) if len(sources) == 1 else None
    warnings: list[str] = []
    if worklogs_path is not None:
        for where, record in _lines(worklogs_path):
            _text(record, "id", where, required=True)
            ticket_id = _text(record, "ticket_id", where, required=True)
            assert ticket_id is not None
            seconds = _number(record, "seconds", where)
            if seconds is None:
                raise InputError(f"{where}: seconds: required")
            if seconds < 0:
                raise InputError(f"{where}: seconds: must be >= 0, got {seconds:g}")
            started = _instant(record, "started_at", where, required=True)
            assert started is not None
            source = (
                _text(record, "source", where)
                or only_source
                or _source_of(ticket_id, sources, where)
            )
            author = _text(record, "author", where)
            builder.add_worklog(source, ticket_id, started.timestamp(), seconds, author)
        if builder.unknown_worklogs:
            warnings.append(
                f"{worklogs_path}: {builder.unknown_worklogs} worklogs name a ticket "
                "not in the tickets file (ignored)"
            )
    return Loaded(builder.build(), tuple(warnings))


def _source_of(ticket_id: str, sources: dict[str, set[str]], where: str) -> str:
    owners = [name for name, ids in sources.items() if ticket_id in ids]
    if len(owners) > 1:
        raise InputError(f"{where}: source: ticket {ticket_id!r} is in several sources; name one")
    return owners[0] if owners else DEFAULT_SOURCE
