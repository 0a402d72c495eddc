"""The shared language: source-neutral tickets, worklogs, weights and figures.

Every timestamp is timezone-aware UTC. Connectors produce these objects, the state
store keeps them, the engine reads them; none of them knows where they came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

FIGURE_KEYS: tuple[str, ...] = (
    "bac", "pv", "ev", "ac", "cv", "sv", "cpi", "spi", "eac", "etc", "vac", "tcpi",
    "tcpi_eac", "pct_complete", "pct_spent", "es", "at", "sv_t", "spi_t", "ieac_t",
    "forecast_finish", "status",
)  # fmt: skip


def utc(value: datetime) -> datetime:
    """Return ``value`` converted to UTC; naive datetimes are refused, never guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp {value.isoformat()} has no time zone")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Ticket:
    """One unit of support work: a Zendesk ticket or a Jira issue.

    ``resolved_at`` is set only while the ticket is resolved now: a reopened ticket
    has none until it is resolved again. ``due_date`` is a planned finish without a
    time (Jira ``duedate``); the engine ends it at the next midnight of the job's
    time zone. ``id`` is the source's own id (Jira's numeric issue id, ``key`` the
    human key).
    """

    source: str
    id: str
    created_at: datetime
    key: str | None = None
    type: str | None = None
    priority: str | None = None
    status: str | None = None
    status_category: str | None = None  # "new" | "in_progress" | "done"
    updated_at: datetime | None = None
    due_at: datetime | None = None
    due_date: date | None = None
    sla_due_at: datetime | None = None
    sprint_end_at: datetime | None = None
    resolved_at: datetime | None = None
    estimate_hours: float | None = None
    story_points: float | None = None
    group: str | None = None
    assignee: str | None = None
    organization: str | None = None
    brand: str | None = None
    form: str | None = None
    project: str | None = None
    parent: str | None = None  # the parent issue's key (a Jira epic)
    tags: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    reopens: int = 0
    first_reply_minutes: float | None = None
    satisfaction: str | None = None  # "good" | "bad" | None
    deleted: bool = False

    def attribute(self, name: str) -> str | None:
        """The value of a class attribute (``type``, ``priority``, ``group``...) as text."""
        value = getattr(self, name)
        if value is None:
            return None
        if isinstance(value, tuple):
            return ",".join(value) if value else None
        return str(value)


@dataclass(frozen=True, slots=True)
class Worklog:
    """One entry of time spent on a ticket: who, when it started, how many seconds."""

    source: str
    id: str
    ticket_id: str
    started_at: datetime
    seconds: int
    author: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Weight:
    """The standard effort of one ticket, with the rule that produced it."""

    source: str
    ticket_id: str
    hours: float
    rule: str  # "estimate" | "history" | "table" | "default"
    detail: str
    earned: float = 0.0  # hours of it earned at the instant computed


@dataclass(frozen=True, slots=True)
class Window:
    """The period a plan covers, ``[start, end)``, in UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Figures:
    """The EVM figures of one job at one instant (hours and periods, unrounded).

    ``None`` stands where EVM_MODEL.md says a figure has no value.
    """

    bac: float
    pv: float
    ev: float
    ac: float
    cv: float
    sv: float
    cpi: float | None
    spi: float | None
    eac: float | None
    etc: float | None
    vac: float | None
    tcpi: float | None
    tcpi_eac: float | None
    pct_complete: float | None
    pct_spent: float | None
    es: float
    at: float
    sv_t: float
    spi_t: float | None
    ieac_t: float | None
    forecast_finish: datetime | None
    status: str

    def as_dict(self) -> dict[str, Any]:
        """Figures as JSON-ready values; ``forecast_finish`` as ISO 8601."""
        out = asdict(self)
        if self.forecast_finish is not None:
            out["forecast_finish"] = self.forecast_finish.isoformat()
        return out
