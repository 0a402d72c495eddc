"""The engine: one job's EVM figures at one instant, from tickets and worklogs (pure).

Everything follows docs/evm-model.md. ``compute`` reads the in-scope tickets once
and the worklogs once (a stream is fine), so it runs in memory proportional to the
tickets, not the worklogs.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from evm_sync.config import CapacityBaseline, DueBaseline, JobConfig
from evm_sync.kpi import Kpis, support_kpis
from evm_sync.model import Figures, Ticket, Weight, Window, Worklog, utc
from evm_sync.schedule import earned_schedule
from evm_sync.weights import TicketKey, Weigher
from evm_sync.windows import end_of_date, period_boundaries, resolve_window, working_seconds

_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Result:
    """What the engine says of one job at ``as_of``."""

    as_of: datetime
    window: Window
    figures: Figures
    kpis: Kpis
    weights: tuple[Weight, ...]
    unplanned: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass
class _Effort:
    total: dict[TicketKey, int]
    in_window: dict[TicketKey, int]
    first_started: dict[TicketKey, datetime]
    unknown: int = 0


def _gather_effort(
    worklogs: Iterable[Worklog], known: set[TicketKey], start: datetime, until: datetime
) -> _Effort:
    total: dict[TicketKey, int] = {}
    in_window: dict[TicketKey, int] = {}
    first: dict[TicketKey, datetime] = {}
    unknown = 0
    for log in worklogs:
        key = (log.source, log.ticket_id)
        if key not in known:
            unknown += 1
            continue
        total[key] = total.get(key, 0) + log.seconds
        started = log.started_at
        if start <= started <= until:
            in_window[key] = in_window.get(key, 0) + log.seconds
        if started <= until and (key not in first or started < first[key]):
            first[key] = started
    return _Effort(total, in_window, first, unknown)


def planned_finish(ticket: Ticket, order: Sequence[str], job: JobConfig) -> datetime | None:
    """The ticket's planned finish: the first of due date, SLA target or sprint end."""
    for kind in order:
        if kind == "due_date":
            if ticket.due_at is not None:
                return ticket.due_at
            if ticket.due_date is not None:
                return end_of_date(ticket.due_date, job.zone)
        elif kind == "sla" and ticket.sla_due_at is not None:
            return ticket.sla_due_at
        elif kind == "sprint_end" and ticket.sprint_end_at is not None:
            return ticket.sprint_end_at
    return None


def _earned_fraction(
    ticket: Ticket,
    rule: str,
    fractions: dict[str, float],
    start: datetime,
    until: datetime,
    started: datetime | None,
) -> float:
    """0..1 of the ticket's weight earned in ``[start, until]``, by the earning rule."""
    resolved = ticket.resolved_at
    if resolved is not None and resolved <= until:
        return 1.0 if resolved >= start else 0.0
    if ticket.created_at > until:
        return 0.0
    if rule == "50/50":
        begun = started is not None or ticket.status_category == "in_progress"
        return 0.5 if begun else 0.0
    if rule == "status":
        return fractions.get((ticket.status or "").lower(), 0.0)
    return 0.0


def compute(
    job: JobConfig,
    tickets: Iterable[Ticket],
    worklogs: Iterable[Worklog],
    as_of: datetime,
) -> Result:
    """EVM figures, KPIs and weights of ``job`` at ``as_of`` from in-scope records."""
    as_of = utc(as_of)
    window = resolve_window(job.window, as_of, job.zone)
    capacity = isinstance(job.baseline, CapacityBaseline)
    # A capacity window is [start, end): what happens at its end belongs to the next.
    until = min(as_of, window.end - _TICK) if capacity else as_of
    fractions = {k.lower(): v for k, v in job.earning.status_fractions.items()}
    scope = [t for t in tickets if not t.deleted]
    effort = _gather_effort(worklogs, {(t.source, t.id) for t in scope}, window.start, until)
    weigher = Weigher(job.weighting, scope, effort.total, window.start)

    if capacity:
        counted, bac, pv_at = _capacity_plan(job.baseline, job, window, scope)
        unplanned: dict[str, float] = {}
    else:
        counted, bac, pv_at, unplanned = _due_plan(job.baseline, job, window, scope, weigher)

    ev = ac = 0.0
    weights: list[Weight] = []
    for ticket, weight in counted:
        key = (ticket.source, ticket.id)
        ac += effort.in_window.get(key, 0) / 3600.0
        fraction = _earned_fraction(
            ticket, job.earning.rule, fractions, window.start, until, effort.first_started.get(key)
        )
        if fraction <= 0 and weight is None:
            continue
        weight = weight or weigher.weigh(ticket)
        weights.append(weight)
        ev += weight.hours * fraction

    figures = derive(job, window, bac=bac, pv_at=pv_at, ev=ev, ac=ac, at_instant=until)
    warnings = []
    if effort.unknown:
        warnings.append(f"{effort.unknown} worklogs belong to tickets out of scope or unknown")
    kpis = support_kpis(scope, window, until, lambda t: planned_finish(t, ("due_date", "sla"), job))
    return Result(as_of, window, figures, kpis, tuple(weights), unplanned, tuple(warnings))


def _capacity_plan(baseline: CapacityBaseline, job: JobConfig, window: Window, scope: list[Ticket]):
    _, planned_duration = period_boundaries(window, job.period)
    bac = baseline.budget_hours or (baseline.budget_hours_per_period or 0.0) * planned_duration
    total = working_seconds(window.start, window.end, baseline.calendar, job.zone)

    def pv_at(instant: datetime) -> float:
        done = working_seconds(window.start, min(instant, window.end), baseline.calendar, job.zone)
        return bac * done / total if total else 0.0

    return [(t, None) for t in scope], bac, pv_at


def _due_plan(
    baseline: DueBaseline, job: JobConfig, window: Window, scope: list[Ticket], weigher: Weigher
):
    plan: list[tuple[Ticket, Weight]] = []
    finishes: list[tuple[datetime, float]] = []
    unplanned = {"tickets": 0.0, "hours": 0.0}
    for ticket in scope:
        finish = planned_finish(ticket, baseline.planned_finish, job)
        weight = weigher.weigh(ticket)
        if finish is not None and window.start <= finish < window.end:
            plan.append((ticket, weight))
            finishes.append((finish, weight.hours))
        elif ticket.resolved_at is None or ticket.resolved_at >= window.start:
            unplanned["tickets"] += 1
            unplanned["hours"] += weight.hours
    finishes.sort(key=lambda pair: pair[0])
    instants = [f for f, _ in finishes]
    cumulative: list[float] = []
    running = 0.0
    for _, hours in finishes:
        running += hours
        cumulative.append(running)

    def pv_at(instant: datetime) -> float:
        count = bisect.bisect_right(instants, instant)
        return cumulative[count - 1] if count else 0.0

    return plan, running, pv_at, unplanned


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def derive(
    job: JobConfig, window: Window, *, bac: float, pv_at: Any, ev: float, ac: float,
    at_instant: datetime,
) -> Figures:  # fmt: skip
    """Every derived figure of EVM_MODEL.md from BAC, the PV curve, EV and AC."""
    pv = pv_at(at_instant)
    cpi, spi = _ratio(ev, ac), _ratio(ev, pv)
    if job.eac == "cpi":
        eac = None if not cpi else bac / cpi
    elif job.eac == "remaining":
        eac = ac + (bac - ev)
    else:
        eac = None if not cpi or not spi else ac + (bac - ev) / (cpi * spi)
    boundaries, planned_duration = period_boundaries(window, job.period)
    schedule = earned_schedule(
        [pv_at(b) for b in boundaries], planned_duration, ev, window, at_instant, job.period
    )
    return Figures(
        bac=bac, pv=pv, ev=ev, ac=ac, cv=ev - ac, sv=ev - pv, cpi=cpi, spi=spi, eac=eac,
        etc=None if eac is None else eac - ac,
        vac=None if eac is None else bac - eac,
        tcpi=_ratio(bac - ev, bac - ac),
        tcpi_eac=None if eac is None else _ratio(bac - ev, eac - ac),
        pct_complete=_ratio(ev, bac), pct_spent=_ratio(ac, bac),
        es=schedule.es, at=schedule.at, sv_t=schedule.sv_t, spi_t=schedule.spi_t,
        ieac_t=schedule.ieac_t, forecast_finish=schedule.forecast_finish,
        status=status_word(cpi, spi, job.thresholds.on_track, job.thresholds.at_risk),
    )  # fmt: skip


def status_word(cpi: float | None, spi: float | None, on_track: float, at_risk: float) -> str:
    """``on track``, ``at risk``, ``off track`` or ``no data`` from CPI and SPI."""
    known = [index for index in (cpi, spi) if index is not None]
    if not known:
        return "no data"
    if any(index < at_risk for index in known):
        return "off track"
    if any(index < on_track for index in known):
        return "at risk"
    return "on track"
