"""The in-memory Zendesk: tickets, fields, organizations, audits and bulk jobs.

Tickets are kept as plain dicts holding the fields that vary; `render_ticket`
adds the constant parts of the API object. Audits are compact tuples rendered on
demand, so 100,000 tickets stay cheap in memory.
"""

from __future__ import annotations

import bisect
import threading
from datetime import datetime
from typing import Any, NamedTuple

from evm_sync.sandbox.clock import Clock, epoch_of, zendesk_time

TOTAL_TITLE = "Total time spent (sec)"
LAST_TITLE = "Time spent last update (sec)"
ESTIMATE_TITLE = "Estimate (hours)"
WRITABLE = ("status", "priority", "type", "subject", "tags", "assignee_id", "group_id", "due_at")
CLOSED_MESSAGE = "Status: closed prevents ticket update"


class ZendeskError(Exception):
    """An API error: HTTP status and Zendesk's error body."""

    def __init__(self, status: int, error: str, description: str, **extra: Any) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.body = {"error": error, "description": description, **extra}


class Audit(NamedTuple):
    """One ticket update: its time, ticket, author and (field, value, previous) changes."""

    timestamp: int
    id: int
    ticket_id: int
    updater_id: int
    kind: str  # "Create" or "Change"
    changes: tuple[tuple[str, Any, Any], ...]


def not_found() -> ZendeskError:
    return ZendeskError(404, "RecordNotFound", "Not found")


class ZendeskStore:
    """State of one Zendesk account; every public method is thread safe."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.tickets: dict[int, dict[str, Any]] = {}
        self.metrics: dict[int, dict[str, Any]] = {}
        self.ticket_fields: list[dict[str, Any]] = []
        self.organization_fields: list[dict[str, Any]] = []
        self.organizations: dict[int, dict[str, Any]] = {}
        self.groups: list[dict[str, Any]] = []
        self.audits: list[Audit] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self._index: list[tuple[int, int]] = []
        self._dirty = True
        self._next_audit = 1
        self._next_field = 360_020_000
        self._next_job = 1
        self._loading = True  # audits arrive out of order until sort_audits

    # ---- lookups -------------------------------------------------------------

    def field_id(self, title: str) -> int | None:
        return next((f["id"] for f in self.ticket_fields if f["title"] == title), None)

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        ticket = self.tickets.get(ticket_id)
        if ticket is None or ticket["status"] == "deleted":
            raise not_found()
        return ticket

    def export_index(self) -> list[tuple[int, int]]:
        """(generated_timestamp, id) of every ticket, sorted; rebuilt after changes."""
        with self.lock:
            if self._dirty:
                self._index = sorted(
                    (t["generated_timestamp"], t["id"]) for t in self.tickets.values()
                )
                self._dirty = False
            return self._index

    def audit_page(self, start: int, until: int, size: int) -> tuple[list[Audit], bool]:
        """Up to `size` audits with start <= timestamp <= until, in time order, plus all
        sharing the last one's timestamp (so paging by time always moves on); and
        whether that reaches `until`."""
        with self.lock:
            audits = self.audits
            lo = bisect.bisect_left(audits, start, key=lambda a: a.timestamp)
            hi = bisect.bisect_right(audits, until, key=lambda a: a.timestamp)
            end = min(lo + size, hi)
            if end < hi and end > lo:
                end = bisect.bisect_right(
                    audits, audits[end - 1].timestamp, lo=end, hi=hi, key=lambda a: a.timestamp
                )
            return audits[lo:end], end >= hi

    # ---- loading (generator and seed file) -----------------------------------

    def add_audit(self, at: int, ticket_id: int, updater_id: int, kind: str, changes) -> None:
        audit = Audit(at, self._next_audit, ticket_id, updater_id, kind, tuple(changes))
        self._next_audit += 1
        if self._loading or not self.audits or self.audits[-1].timestamp <= at:
            self.audits.append(audit)
        else:
            bisect.insort(self.audits, audit, key=lambda a: a.timestamp)

    def sort_audits(self) -> None:
        """End of loading: order the audits by time once."""
        self.audits.sort()  # by timestamp, then id
        self._loading = False

    def allocate_field_id(self) -> int:
        self._next_field += 1
        return self._next_field

    # ---- changes ---------------------------------------------------------------

    def _touch(self, ticket: dict[str, Any]) -> None:
        now = self.clock.epoch()
        ticket["updated_at"] = zendesk_time(now)
        ticket["generated_timestamp"] = max(now, ticket["generated_timestamp"])
        self._dirty = True

    def _set_custom(self, ticket: dict[str, Any], field_id: int, value: Any) -> Any:
        """Set one custom field value; return the previous value."""
        for entry in ticket["custom_fields"]:
            if entry["id"] == field_id:
                previous, entry["value"] = entry["value"], value
                return previous
        ticket["custom_fields"].append({"id": field_id, "value": value})
        return None

    def custom_value(self, ticket: dict[str, Any], field_id: int | None) -> Any:
        return next((c["value"] for c in ticket["custom_fields"] if c["id"] == field_id), None)

    def update_ticket(self, ticket_id: int, updater_id: int = 9001, **changes: Any) -> dict:
        """Apply API-style changes (custom_fields as [{id, value}]); closed tickets refuse."""
        with self.lock:
            ticket = self.ticket(ticket_id)
            if ticket["status"] == "closed":
                raise ZendeskError(
                    422,
                    "RecordInvalid",
                    "Record validation errors",
                    details={"status": [{"description": CLOSED_MESSAGE}]},
                )
            stamp = changes.pop("updated_stamp", None)
            if changes.pop("safe_update", False) and stamp != ticket["updated_at"]:
                raise ZendeskError(
                    409,
                    "UpdateConflict",
                    "Safe Update prevented the update due to outdated ticket data. "
                    "Please fetch the latest ticket data and try again.",
                )
            before = ticket["status"]
            diffs = self._apply(ticket, changes)
            if diffs:
                self.add_audit(self.clock.epoch(), ticket_id, updater_id, "Change", diffs)
                self._touch(ticket)
                self._update_metrics(ticket_id, before, ticket["status"])
            return ticket

    def _update_metrics(self, ticket_id: int, before: str, after: str) -> None:
        """As Zendesk does: solving sets solved_at; leaving solved counts a reopen."""
        metric = self.metrics.get(ticket_id)
        if metric is None or before == after:
            return
        created, assigned, solved, reopens, replies, reply, first, full, hold, _ = metric
        now = self.clock.epoch()
        if after == "solved":
            solved = now
            full = (now - created) // 60
        elif before == "solved" and after in ("new", "open", "pending", "hold"):
            reopens += 1
        self.metrics[ticket_id] = (
            created,
            assigned,
            solved,
            reopens,
            replies,
            reply,
            first,
            full,
            hold,
            now,
        )

    def _apply(self, ticket: dict[str, Any], changes: dict[str, Any]) -> list[tuple]:
        known = {f["id"]: f for f in self.ticket_fields}
        diffs: list[tuple] = []
        for entry in changes.pop("custom_fields", None) or []:
            field = known.get(entry.get("id"))
            if field is None:
                continue  # Zendesk ignores values for unknown fields
            value = entry.get("value")
            check_value(field, value, ticket["id"])
            previous = self._set_custom(ticket, field["id"], value)
            if previous != value:
                diffs.append((str(field["id"]), value, previous))
        for key in WRITABLE:
            if key in changes and changes[key] != ticket.get(key):
                diffs.append((key, changes[key], ticket.get(key)))
                ticket[key] = changes[key]
        return diffs

    def add_time_entry(
        self, ticket_id: int, seconds: int, author_id: int, at: datetime | int | None = None
    ) -> None:
        """Log time as the Time Tracking app does: one audit changing both fields, at `at`
        (default now); the ticket's updated_at moves to now."""
        when = self.clock.epoch() if at is None else epoch_of(at)
        with self.lock:
            ticket = self.ticket(ticket_id)
            self.record_time_entry(ticket, seconds, author_id, when)
            self._touch(ticket)

    def record_time_entry(
        self, ticket: dict, seconds: int, author_id: int, at: int, ids: tuple | None = None
    ) -> None:
        """The audit of one time entry at `at`; `ids` (total, last) saves the field lookup."""
        total_id, last_id = ids or (self.field_id(TOTAL_TITLE), self.field_id(LAST_TITLE))
        total_before = self.custom_value(ticket, total_id)
        total_after = str(int(total_before or 0) + int(seconds))
        last_before = self.custom_value(ticket, last_id)
        changes = [(str(total_id), total_after, total_before)]
        if last_before != str(seconds):
            changes.append((str(last_id), str(seconds), last_before))
        self._set_custom(ticket, total_id, total_after)
        self._set_custom(ticket, last_id, str(seconds))
        self.add_audit(at, ticket["id"], author_id, "Change", changes)

    def delete_ticket(self, ticket_id: int) -> None:
        with self.lock:
            ticket = self.ticket(ticket_id)
            ticket["status"] = "deleted"
            self._touch(ticket)

    def update_organization(self, org_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            org = self.organizations.get(org_id)
            if org is None:
                raise not_found()
            keys = {f["key"]: f for f in self.organization_fields}
            for key, value in (changes.get("organization_fields") or {}).items():
                if key not in keys:
                    raise ZendeskError(
                        422, "RecordInvalid", f"organization field '{key}' does not exist"
                    )
                org["organization_fields"][key] = value
            for key in ("name", "notes", "details", "tags", "group_id"):
                if key in changes:
                    org[key] = changes[key]
            org["updated_at"] = zendesk_time(self.clock.epoch())
            return org

    def create_job(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        """Record a bulk job; it is done at once, answered "queued", polled "completed"."""
        with self.lock:
            job_id = f"{self._next_job:032x}"
            self._next_job += 1
            job = {
                "id": job_id,
                "job_type": "bulk_update",
                "total": len(results),
                "results": results,
            }
            self.jobs[job_id] = job
            return job


def check_value(field: dict[str, Any], value: Any, ticket_id: int) -> None:
    """Reject a value a numeric field would refuse, as Zendesk's RecordInvalid."""
    if value is None or value == "" or field["type"] not in ("integer", "decimal"):
        return
    try:
        number = float(value)
        if field["type"] == "integer" and number != int(number):
            raise ValueError
    except (TypeError, ValueError):
        raise ZendeskError(
            422,
            "RecordInvalid",
            f"ticket {ticket_id}: {field['title']} is not a valid {field['type']}: {value!r}",
        ) from None
