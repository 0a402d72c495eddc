"""Small builders for engine tests: configs from dicts, tickets and worklogs by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from evm_sync.config import JobConfig
from evm_sync.model import Ticket, Worklog


def at(text: str) -> datetime:
    """``"2026-11-03 10:00"`` as a UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def job(**settings: Any) -> JobConfig:
    return JobConfig.model_validate(settings)


def fixed_job(start: str, end: str, **settings: Any) -> JobConfig:
    window = {"kind": "fixed", "start": at(start), "end": at(end)}
    return job(window=window, **settings)


def ticket(tid: str | int, created: str = "2026-10-01", **fields: Any) -> Ticket:
    for name in ("resolved_at", "due_at", "sla_due_at", "sprint_end_at"):
        if isinstance(fields.get(name), str):
            fields[name] = at(fields[name])
    fields.setdefault("source", "s")
    return Ticket(id=str(tid), created_at=at(created), **fields)


def worklog(wid: str | int, tid: str | int, started: str, hours: float, **fields: Any) -> Worklog:
    fields.setdefault("source", "s")
    return Worklog(
        id=str(wid),
        ticket_id=str(tid),
        started_at=at(started),
        seconds=round(hours * 3600),
        **fields,
    )
