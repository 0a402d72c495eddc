"""Support KPIs beside EVM, from the same tickets (pure, on columns)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from evm_sync.dataset import Dataset
from evm_sync.model import Window


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


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if len(values) else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def support_kpis(
    data: Dataset, live: np.ndarray, window: Window, until: float, targets: np.ndarray
) -> Kpis:
    """Resolution rate (resolved / created in the window), median time to resolution,
    median first reply, SLA attainment (resolved by their planned finish / resolved
    with one), open backlog at ``until``, CSAT (good / rated) of resolved tickets.

    ``targets`` holds each ticket's planned finish in seconds (nan for none).
    """
    start = window.start.timestamp()
    existing = live & (data.created <= until)
    created = existing & (data.created >= start)
    open_at = existing & ~(data.resolved <= until)
    resolved = existing & (data.resolved <= until) & (data.resolved >= start)
    hours = (data.resolved[resolved] - data.created[resolved]) / 3600.0
    replies = data.first_reply_minutes[resolved]
    with_target = resolved & ~np.isnan(targets)
    rated = data.satisfaction[resolved]
    return Kpis(
        created=int(created.sum()),
        resolved=int(resolved.sum()),
        resolution_rate=_share(int(resolved.sum()), int(created.sum())),
        median_resolution_hours=_median(hours),
        median_first_reply_hours=_median(replies[~np.isnan(replies)] / 60.0),
        sla_attainment=_share(
            int((data.resolved[with_target] <= targets[with_target]).sum()), int(with_target.sum())
        ),
        open_backlog=int(open_at.sum()),
        csat=_share(int((rated == 1).sum()), int((rated >= 0).sum())),
    )
