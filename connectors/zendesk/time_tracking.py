"""Pure transforms: Time Tracking app changes in ticket events -> ``Worklog`` entries.

The app keeps two custom ticket fields, "Total time spent (sec)" and "Time spent last
update (sec)"; their ids are found by title at run time. Each ticket update (an
``Audit`` in the incremental ticket event export) that logged time yields at most one
entry, by these rules:

1. the "last update" field changed in this update: the entry is its new value;
2. else the total changed (two updates logging equal seconds leave no change event on
   "last update"): the entry is the new total minus the previous one (none = 0); a
   correction that lowers the total gives a negative entry, so entries always add up
   to the total;
3. else, or when the result is 0 seconds, no entry.

The entry id is ``"{ticket_id}:{event_id}"``: stable, so re-reading an overlapping
page never counts twice. ``started_at`` is the time of the update itself: the app
records when time was logged, not when the work began, and the update is the one
instant the API gives.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.zendesk.normalize import RecordError, parse_number, parse_time
from evm_sync.model import Worklog


@dataclass(frozen=True)
class TimeFieldIds:
    """The ids of the Time Tracking app's two fields on this account."""

    total: int
    last_update: int


@dataclass(frozen=True)
class FieldChange:
    """One custom field change inside an update: the new and the previous value."""

    field_id: str
    value: Any
    previous: Any


def field_changes(child: Mapping[str, Any]) -> Iterator[FieldChange]:
    """The custom field changes one child event carries.

    The export names them ``{"custom_ticket_fields": {"<id>": value}, "previous_value":
    ..., "field_name": "<id>"?}``; ticket audits name them ``{"field_name": "<id>",
    "value": ..., "previous_value": ...}``. Both are read.
    """
    kind = child.get("event_type") or child.get("type")
    if kind not in ("Change", "Create"):
        return
    fields = child.get("custom_ticket_fields")
    fields = fields if isinstance(fields, Mapping) else {}
    previous = child.get("previous_value")
    name = child.get("field_name")
    if name is not None:
        value = fields.get(str(name), child.get("value"))
        yield FieldChange(str(name), value, previous)
        return
    single = len(fields) == 1
    for field_id, value in fields.items():
        yield FieldChange(str(field_id), value, previous if single else None)


def _seconds(value: Any, where: str) -> float:
    number = parse_number(value, where)
    return 0.0 if number is None else number


def event_time(event: Mapping[str, Any], where: str) -> datetime:
    """When the update happened: ``created_at``, else the epoch ``timestamp``."""
    at = parse_time(event.get("created_at"), f"{where} created_at")
    if at is not None:
        return at
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool):
        return datetime.fromtimestamp(stamp, UTC)
    raise RecordError(f"{where}: no created_at or timestamp")


def worklog_from_event(event: Mapping[str, Any], ids: TimeFieldIds, source: str) -> Worklog | None:
    """The time one update logged, by the rules of the module docstring, or None."""
    ticket_id, event_id = event.get("ticket_id"), event.get("id")
    if ticket_id is None or event_id is None:
        raise RecordError(f"ticket event {event_id!r}: missing ticket_id or id")
    where = f"ticket {ticket_id} event {event_id}"
    last: FieldChange | None = None
    total: FieldChange | None = None
    for child in event.get("child_events") or ():
        if not isinstance(child, Mapping):
            continue
        for change in field_changes(child):
            if change.field_id == str(ids.last_update):
                last = change
            elif change.field_id == str(ids.total):
                total = change
    if last is not None:
        seconds = _seconds(last.value, f"{where} field {ids.last_update} (last update)")
    elif total is not None:
        field = f"{where} field {ids.total} (total)"
        seconds = _seconds(total.value, field) - _seconds(total.previous, field)
    else:
        return None
    if round(seconds) == 0:
        return None
    at = event_time(event, where)
    updater = event.get("updater_id")
    return Worklog(
        source=source,
        id=f"{ticket_id}:{event_id}",
        ticket_id=str(ticket_id),
        started_at=at,
        seconds=round(seconds),
        author=None if updater is None else str(updater),
        updated_at=at,
    )


def worklogs_of_page(
    body: Mapping[str, Any], ids: TimeFieldIds, source: str
) -> tuple[tuple[Worklog, ...], tuple[str, ...]]:
    """The entries of one ticket event page, and a one-line problem per unreadable event."""
    entries: dict[str, Worklog] = {}
    problems: list[str] = []
    for event in body.get("ticket_events") or ():
        try:
            if not isinstance(event, Mapping):
                raise RecordError(f"ticket event {event!r:.60} is not an object")
            entry = worklog_from_event(event, ids, source)
        except RecordError as error:
            problems.append(f"source '{source}': skipped {error}")
            continue
        if entry is not None:
            entries[entry.id] = entry
    return tuple(entries.values()), tuple(problems)
