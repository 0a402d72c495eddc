"""Pure transforms: Zendesk API dicts -> the model's ``Ticket``.

A page of the cursor export carries ``tickets`` and, with ``include=metric_sets``,
a sideloaded ``metric_sets`` list joined by ``ticket_id`` (a ticket carrying its own
``metric_set`` is read too). Bad data raises ``RecordError``: one line naming the
ticket and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from evm_sync.model import Ticket

STATUS_CATEGORY: Mapping[str, str] = {
    "new": "new",
    "open": "in_progress",
    "pending": "in_progress",
    "hold": "in_progress",
    "solved": "done",
    "closed": "done",
}
RESOLVED_STATUSES = frozenset({"solved", "closed"})


class RecordError(ValueError):
    """One record of the API cannot be read; the message names where."""


@dataclass(frozen=True)
class TicketContext:
    """What normalizing needs besides the ticket: the source name and field ids."""

    source: str
    estimate_field_id: int | None = None


def parse_time(value: Any, where: str) -> datetime | None:
    """An ISO 8601 timestamp (``...Z`` or with offset) as UTC; None stays None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"{where}: {value!r} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(f"{where}: {value!r} is not a timestamp") from None
    if parsed.tzinfo is None:
        raise RecordError(f"{where}: {value!r} has no time zone")
    return parsed.astimezone(UTC)


def parse_number(value: Any, where: str) -> float | None:
    """A number from a number or numeric text (custom field values are often text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise RecordError(f"{where}: {value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RecordError(f"{where}: {value!r} is not a number") from None


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def custom_field_value(raw: Mapping[str, Any], field_id: int) -> Any:
    """The value of custom field ``field_id`` on a ticket dict, or None."""
    for entry in raw.get("custom_fields") or ():
        if isinstance(entry, Mapping) and str(entry.get("id")) == str(field_id):
            return entry.get("value")
    return None


def sla_due_at(raw: Mapping[str, Any], where: str) -> datetime | None:
    """The earliest ``breach_at`` of the ticket's active SLA targets (``slas``
    sideload: ``{"policy_metrics": [{"breach_at", "stage", "metric"}]}``)."""
    slas = raw.get("slas")
    metrics = slas.get("policy_metrics") if isinstance(slas, Mapping) else None
    due: list[datetime] = []
    for metric in metrics or ():
        if not isinstance(metric, Mapping) or metric.get("stage", "active") != "active":
            continue
        breach = parse_time(metric.get("breach_at"), f"{where} slas.breach_at")
        if breach is not None:
            due.append(breach)
    return min(due) if due else None


def metric_sets_by_ticket(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The sideloaded ``metric_sets`` of an export page, by ticket id (as text)."""
    return {
        str(metric["ticket_id"]): metric
        for metric in body.get("metric_sets") or ()
        if isinstance(metric, Mapping) and metric.get("ticket_id") is not None
    }


def normalize_ticket(
    raw: Mapping[str, Any], metric_set: Mapping[str, Any] | None, ctx: TicketContext
) -> Ticket:
    """One export ticket (and its metric set) as a ``Ticket``.

    ``resolved_at`` is the metric set's ``solved_at`` while the status is solved or
    closed; ``due_at`` is the task due date; a ``deleted`` status marks it deleted.
    """
    if raw.get("id") is None:
        raise RecordError("ticket without id in the export")
    ticket_id = str(raw["id"])
    where = f"ticket {ticket_id}"
    created_at = parse_time(raw.get("created_at"), f"{where} created_at")
    if created_at is None:
        raise RecordError(f"{where} created_at: missing")
    metrics = metric_set if metric_set is not None else raw.get("metric_set")
    metrics = metrics if isinstance(metrics, Mapping) else {}
    status = raw.get("status")
    estimate = None
    if ctx.estimate_field_id is not None:
        estimate = parse_number(
            custom_field_value(raw, ctx.estimate_field_id),
            f"{where} field {ctx.estimate_field_id} (estimate_field)",
        )
    solved_at = parse_time(metrics.get("solved_at"), f"{where} metric_set.solved_at")
    reply = metrics.get("reply_time_in_minutes")
    first_reply = reply.get("calendar") if isinstance(reply, Mapping) else None
    rating = raw.get("satisfaction_rating")
    score = rating.get("score") if isinstance(rating, Mapping) else None
    tags = raw.get("tags") or ()
    return Ticket(
        source=ctx.source,
        id=ticket_id,
        created_at=created_at,
        type=raw.get("type"),
        priority=raw.get("priority"),
        status=status,
        status_category=STATUS_CATEGORY.get(status) if isinstance(status, str) else None,
        updated_at=parse_time(raw.get("updated_at"), f"{where} updated_at"),
        due_at=parse_time(raw.get("due_at"), f"{where} due_at"),
        sla_due_at=sla_due_at(raw, where),
        resolved_at=solved_at if status in RESOLVED_STATUSES else None,
        estimate_hours=estimate,
        group=_id(raw.get("group_id")),
        assignee=_id(raw.get("assignee_id")),
        organization=_id(raw.get("organization_id")),
        brand=_id(raw.get("brand_id")),
        form=_id(raw.get("ticket_form_id")),
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, Sequence) else (),
        reopens=int(parse_number(metrics.get("reopens"), f"{where} metric_set.reopens") or 0),
        first_reply_minutes=parse_number(first_reply, f"{where} reply_time_in_minutes"),
        satisfaction=score if score in ("good", "bad") else None,
        deleted=status == "deleted",
    )


def normalize_page(
    body: Mapping[str, Any], ctx: TicketContext
) -> tuple[tuple[Ticket, ...], tuple[str, ...]]:
    """All tickets of one export page, and a one-line problem for each unreadable one."""
    metrics = metric_sets_by_ticket(body)
    tickets: list[Ticket] = []
    problems: list[str] = []
    for raw in body.get("tickets") or ():
        try:
            if not isinstance(raw, Mapping):
                raise RecordError(f"export item {raw!r:.60} is not a ticket object")
            tickets.append(normalize_ticket(raw, metrics.get(str(raw.get("id"))), ctx))
        except RecordError as error:
            problems.append(f"source '{ctx.source}': skipped {error}")
    return tuple(tickets), tuple(problems)
