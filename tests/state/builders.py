"""Tickets and worklogs for state-store tests, every field filled unless told otherwise."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from evm_sync.model import Ticket, Worklog

T0 = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))


def full_ticket(tid: str, source: str = "zd", **changes: Any) -> Ticket:
    """A ticket with every field set; some datetimes in +02:00 to check UTC on read."""
    values: dict[str, Any] = {
        "source": source,
        "id": tid,
        "created_at": T0,
        "key": f"KEY-{tid}",
        "type": "incident",
        "priority": "high",
        "status": "open",
        "status_category": "in_progress",
        "updated_at": (T0 + timedelta(hours=3)).astimezone(PLUS_TWO),
        "due_at": T0 + timedelta(days=2),
        "due_date": date(2026, 11, 20),
        "sla_due_at": T0 + timedelta(hours=8),
        "sprint_end_at": T0 + timedelta(days=10),
        "resolved_at": None,
        "estimate_hours": 2.75,
        "story_points": 3.0,
        "group": "L2",
        "assignee": "ana@example.com",
        "organization": "ACME",
        "brand": "main",
        "form": "default",
        "project": "SUP",
        "parent": "SUP-1",
        "tags": ("vip", "eu"),
        "components": ("billing",),
        "reopens": 2,
        "first_reply_minutes": 17.5,
        "satisfaction": "good",
        "deleted": False,
    }
    values.update(changes)
    return Ticket(**values)


def bare_ticket(tid: str, source: str = "zd", **changes: Any) -> Ticket:
    return Ticket(source=source, id=tid, created_at=T0, **changes)


def worklog(wid: str, tid: str, source: str = "zd", seconds: int = 1800, **changes: Any) -> Worklog:
    values: dict[str, Any] = {
        "source": source,
        "id": wid,
        "ticket_id": tid,
        "started_at": T0 + timedelta(minutes=int(wid) if wid.isdigit() else 0),
        "seconds": seconds,
        "author": "bo@example.com",
        "updated_at": T0.astimezone(PLUS_TWO),
    }
    values.update(changes)
    return Worklog(**values)
