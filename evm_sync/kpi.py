"""Support KPIs beside EVM, from the same tickets (pure)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from evm_sync.model import Ticket, Window


@dataclass(frozen=True, slots=True)
class Kpis:
    """Window KPIs at ``t``; ``None`` where nothing can be said."""

    created: int
    resolved: int
    resolution_rate: float | None
    median_resolution_hours: float | None
    median_first_reply_hours: float | None
    sla_attainment: float | None
    open_backlog: int
    csat: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def support_kpis(
    tickets: Iterable[Ticket],
    window: Window,
    until: datetime,
    planned_finish: Callable[[Ticket], datetime | None],
) -> Kpis:
    """Resolution rate (resolved / created in the window), median time to resolution,
    median first reply, SLA attainment (resolved by their planned finish / resolved
    with one), open backlog at ``until``, CSAT (good / rated) of resolved tickets."""
    created = resolved = backlog = on_time = with_target = good = rated = 0
    resolution_hours: list[float] = []
    first_reply_hours: list[float] = []
    for ticket in tickets:
        if ticket.created_at > until:
            continue
        resolved_at = ticket.resolved_at
        if window.start <= ticket.created_at:
            created += 1
        if resolved_at is None or resolved_at > until:
            backlog += 1
            continue
        if resolved_at < window.start:
            continue
        resolved += 1
        resolution_hours.append((resolved_at - ticket.created_at).total_seconds() / 3600.0)
        if ticket.first_reply_minutes is not None:
            first_reply_hours.append(ticket.first_reply_minutes / 60.0)
        target = planned_finish(ticket)
        if target is not None:
            with_target += 1
            on_time += resolved_at <= target
        if ticket.satisfaction in ("good", "bad"):
            rated += 1
            good += ticket.satisfaction == "good"
    return Kpis(
        created=created,
        resolved=resolved,
        resolution_rate=resolved / created if created else None,
        median_resolution_hours=statistics.median(resolution_hours) if resolution_hours else None,
        median_first_reply_hours=statistics.median(first_reply_hours)
        if first_reply_hours
        else None,
        sla_attainment=on_time / with_target if with_target else None,
        open_backlog=backlog,
        csat=good / rated if rated else None,
    )
