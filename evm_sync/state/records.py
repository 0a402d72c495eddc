"""What the state store hands back besides tickets and worklogs: snapshots, pushes, runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

OUTCOMES: tuple[str, ...] = ("ok", "failed", "skipped")


class StateError(Exception):
    """The state store cannot do what was asked; the message names the store's URL
    (never its password) and what went wrong, on one line."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The figures and KPIs of one job at one instant, as stored (JSON values:
    datetimes come back as ISO 8601 strings)."""

    job: str
    as_of: datetime
    run_id: str
    figures: dict[str, Any]
    kpis: dict[str, Any]
    window_start: datetime | None
    window_end: datetime | None


@dataclass(frozen=True, slots=True)
class PushRecord:
    """One field written (or tried) on one target: the audit trail of a push."""

    target: str
    field: str
    old: Any
    new: Any
    at: datetime
    ok: bool = True
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One sync of one job: when, how it ended and how much it moved."""

    job: str
    run_id: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str  # "ok" | "failed" | "skipped"
    error: str | None
    pulled_tickets: int
    pulled_worklogs: int
    pushed: int

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(
                f"run {self.run_id!r} of job {self.job!r}: outcome {self.outcome!r} "
                f"is not one of {', '.join(OUTCOMES)}"
            )
