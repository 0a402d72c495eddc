"""Earned schedule (Lipke): ES, AT, SV(t), SPI(t), IEAC(t) and the forecast finish."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from evm_sync.model import Window
from evm_sync.windows import PERIOD_LENGTH


@dataclass(frozen=True, slots=True)
class Schedule:
    es: float
    at: float
    sv_t: float
    spi_t: float | None
    ieac_t: float | None
    forecast_finish: datetime | None


def earned_time(pv_points: Sequence[float], planned_duration: float, ev: float) -> float:
    """ES in periods from cumulative PV at each period boundary (``pv_points[0]`` is PV_0).

    C is the largest k with PV_k <= EV; ES = C + (EV - PV_C) / (PV_{C+1} - PV_C),
    the last period counting only its planned part when the window ends mid-period.
    """
    last = len(pv_points) - 1
    c = 0
    for k, pv in enumerate(pv_points):
        if pv <= ev:
            c = k
    position = [float(k) for k in range(last)] + [planned_duration]
    if c >= last or pv_points[c + 1] == pv_points[c]:
        return position[c]
    step = position[c + 1] - position[c]
    return position[c] + (ev - pv_points[c]) / (pv_points[c + 1] - pv_points[c]) * step


def earned_schedule(
    pv_points: Sequence[float],
    planned_duration: float,
    ev: float,
    window: Window,
    at_instant: datetime,
    period: str,
) -> Schedule:
    """The earned-schedule figures at ``at_instant`` (AT counts from the window start)."""
    length = PERIOD_LENGTH[period]
    es = earned_time(pv_points, planned_duration, ev)
    at = max(0.0, (at_instant - window.start) / length)
    spi_t = None if at == 0 else es / at
    ieac_t = None if not spi_t else planned_duration / spi_t
    finish = None if ieac_t is None else window.start + ieac_t * length
    return Schedule(es, at, es - at, spi_t, ieac_t, finish)
