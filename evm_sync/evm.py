"""The engine: one job's EVM figures at one instant, from tickets and worklogs (pure).

Everything follows docs/evm-model.md. ``compute`` takes model objects;
``compute_dataset`` takes the same data as columns (``Dataset``), which is what the
engine works on: a million tickets are a few array operations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np

from evm_sync.config import CapacityBaseline, DueBaseline, JobConfig
from evm_sync.dataset import Dataset
from evm_sync.kpi import Kpis, support_kpis
from evm_sync.model import Figures, Ticket, Weight, Window, Worklog, utc
from evm_sync.schedule import earned_schedule
from evm_sync.weights import weigh
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
    period: str = "day"
    unit: str = "h"  # or the currency in money mode
    unplanned: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def compute(
    job: JobConfig, tickets: Iterable[Ticket], worklogs: Iterable[Worklog], as_of: datetime
) -> Result:
    """EVM figures, KPIs and weights of ``job`` at ``as_of`` from in-scope records."""
    return compute_dataset(job, Dataset.from_records(tickets, worklogs), as_of)


def planned_finish(data: Dataset, order: Sequence[str], job: JobConfig) -> np.ndarray:
    """Each ticket's planned finish (seconds; nan for none): the first of its due date,
    SLA target or sprint end in ``order``. A date without a time ends at the next
    midnight of the job's zone."""
    finish = np.full(len(data), np.nan)
    for kind in order:
        if kind == "due_date":
            dates = np.full(len(data), np.nan)
            has_date = ~np.isnan(data.due_date)
            ordinals, inverse = np.unique(data.due_date[has_date], return_inverse=True)
            ends = [end_of_date(date.fromordinal(int(o)), job.zone).timestamp() for o in ordinals]
            dates[has_date] = np.asarray(ends, dtype=np.float64)[inverse.reshape(-1)]
            candidate = np.where(np.isnan(data.due_at), dates, data.due_at)
        elif kind == "sla":
            candidate = data.sla
        else:
            candidate = data.sprint_end
        finish = np.where(np.isnan(finish), candidate, finish)
    return finish


def _earned_fraction(job: JobConfig, data: Dataset, start: float, until: float,
                     first_started: np.ndarray) -> np.ndarray:  # fmt: skip
    """0..1 of each ticket's weight earned in ``[start, until]`` by the earning rule."""
    resolved = data.resolved
    done = resolved <= until
    fraction = np.where(done & (resolved >= start), 1.0, 0.0)
    open_then = ~done & (data.created <= until)
    rule = job.earning.rule
    if rule == "50/50":
        codes, values = data.attribute("status_category")
        in_progress = codes == values.index("in_progress") if "in_progress" in values else False
        begun = (first_started <= until) | in_progress
        fraction = np.where(open_then & begun, 0.5, fraction)
    elif rule == "status":
        codes, values = data.attribute("status")
        table = {k.lower(): v for k, v in job.earning.status_fractions.items()}
        per_status = np.array([table.get((v or "").lower(), 0.0) for v in values] or [0.0])
        fraction = np.where(open_then, per_status[codes] if len(codes) else 0.0, fraction)
    return fraction


def compute_dataset(
    job: JobConfig, data: Dataset, as_of: datetime, subset: np.ndarray | None = None
) -> Result:
    """``compute`` on columns. ``subset`` (a mask of tickets) narrows the figures to
    those tickets, their weights still drawn from the whole scope's history."""
    as_of = utc(as_of)
    window = resolve_window(job.window, as_of, job.zone)
    capacity = isinstance(job.baseline, CapacityBaseline)
    # A capacity window is [start, end): what happens at its end belongs to the next.
    until_at = min(as_of, window.end - _TICK) if capacity else as_of
    start, until = window.start.timestamp(), until_at.timestamp()
    live = ~data.deleted

    known = data.log_ticket >= 0
    known_live = known.copy()
    known_live[known] = live[data.log_ticket[known]]
    if known_live.all():  # the usual case: no copies of the worklog columns
        tickets_of, started, seconds = data.log_ticket, data.log_started, data.log_seconds
    else:
        tickets_of = data.log_ticket[known_live]
        started, seconds = data.log_started[known_live], data.log_seconds[known_live]
    n = len(data)
    ticket_rate, log_rate = _rates(job, data, tickets_of, known_live)
    effort_total = np.bincount(tickets_of, weights=seconds, minlength=n)
    in_window = (started >= start) & (started <= until)
    cost = seconds[in_window] if log_rate is None else seconds[in_window] * log_rate[in_window]
    cost_window = np.bincount(tickets_of[in_window], weights=cost, minlength=n)
    del cost, in_window
    first_started = np.full(n, np.inf)
    before = started <= until
    np.minimum.at(first_started, tickets_of[before], started[before])

    weights = weigh(job.weighting, data, effort_total, start)
    if subset is not None:
        live = live & subset
    fraction = _earned_fraction(job, data, start, until, first_started) * live

    unplanned: dict[str, float] = {}
    if capacity:
        counted = live
        bac, pv_at = _capacity_plan(job.baseline, job, window)
    else:
        priced = weights.hours * ticket_rate
        counted, bac, pv_at, unplanned = _due_plan(job.baseline, job, window, data, priced, live)
    earned = fraction * counted
    ev = float(np.dot(weights.hours * ticket_rate, earned))
    ac = float(cost_window[counted].sum()) / 3600.0
    shown = np.flatnonzero((earned > 0) | (counted & (not capacity)))
    explained = tuple(
        weights.explain(data, int(i), float(weights.hours[i] * earned[i])) for i in shown
    )

    figures = derive(job, window, bac=bac, pv_at=pv_at, ev=ev, ac=ac, at_instant=until_at)
    warnings = []
    stray = int((~known).sum())
    if stray:
        warnings.append(f"{stray} worklogs belong to tickets not in scope (ignored)")
    targets = planned_finish(data, ("due_date", "sla"), job)
    kpis = support_kpis(data, live, window, until, targets)
    unit = job.cost.currency if job.cost else "h"
    return Result(
        as_of, window, figures, kpis, explained, job.period, unit, unplanned, tuple(warnings)
    )


def compute_epics(
    job: JobConfig, data: Dataset, as_of: datetime, epic_type: str = "Epic"
) -> dict[tuple[str, str], Result]:
    """The figures of each epic in ``data`` (by source and key), computed over its
    children (tickets whose ``parent`` is the epic), weights from the whole scope."""
    types, type_values = data.attribute("type")
    keys, key_values = data.attribute("key")
    parents, parent_values = data.attribute("parent")
    parent_code = {key: code for code, key in enumerate(parent_values) if key is not None}
    results: dict[tuple[str, str], Result] = {}
    if epic_type not in type_values:
        return results
    for index in np.flatnonzero(types == type_values.index(epic_type)):
        key = key_values[keys[index]]
        if key is None or data.deleted[index]:
            continue
        code = parent_code.get(key)
        children = parents == code if code is not None else np.zeros(len(data), dtype=bool)
        results[data.source(int(index)), key] = compute_dataset(job, data, as_of, subset=children)
    return results


def _rates(
    job: JobConfig, data: Dataset, tickets_of: np.ndarray, kept: np.ndarray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Money mode: the rate of each ticket (its group's, else the default) and of each
    kept worklog (its agent's, else its ticket's); ones and None when counting hours."""
    if job.cost is None:
        return np.ones(len(data)), None
    cost = job.cost
    codes, groups = data.attribute("group")
    by_group = np.array([cost.by_group.get(g or "", cost.rate) for g in groups] or [cost.rate])
    ticket_rate = by_group[codes] if len(codes) else np.empty(0)
    by_agent = np.array([cost.by_agent.get(a or "", np.nan) for a in data.authors] or [np.nan])
    agent_rate = by_agent[data.log_author[kept]] if len(tickets_of) else np.empty(0)
    log_rate = np.where(np.isnan(agent_rate), ticket_rate[tickets_of], agent_rate)
    return ticket_rate, log_rate


def _capacity_plan(
    baseline: CapacityBaseline, job: JobConfig, window: Window
) -> tuple[float, Callable[[datetime], float]]:
    _, planned_duration = period_boundaries(window, job.period)
    bac = baseline.budget_hours or (baseline.budget_hours_per_period or 0.0) * planned_duration
    bac *= job.cost.rate if job.cost else 1.0
    total = working_seconds(window.start, window.end, baseline.calendar, job.zone)

    def pv_at(instant: datetime) -> float:
        done = working_seconds(window.start, min(instant, window.end), baseline.calendar, job.zone)
        return bac * done / total if total else 0.0

    return bac, pv_at


def _due_plan(baseline: DueBaseline, job: JobConfig, window: Window, data: Dataset,
              values: np.ndarray, live: np.ndarray):  # fmt: skip
    finish = planned_finish(data, baseline.planned_finish, job)
    start, end = window.start.timestamp(), window.end.timestamp()
    plan = live & (finish >= start) & (finish < end)
    outside = live & ~plan & ~(data.resolved < start)
    unplanned = {"tickets": float(outside.sum()), "value": float(values[outside].sum())}
    order = np.argsort(finish[plan], kind="stable")
    instants = finish[plan][order]
    cumulative = np.cumsum(values[plan][order])
    bac = float(cumulative[-1]) if len(cumulative) else 0.0

    def pv_at(instant: datetime) -> float:
        count = int(np.searchsorted(instants, instant.timestamp(), side="right"))
        return float(cumulative[count - 1]) if count else 0.0

    return plan, bac, pv_at, unplanned


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def derive(
    job: JobConfig, window: Window, *, bac: float, pv_at: Callable[[datetime], float],
    ev: float, ac: float, at_instant: datetime,
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
        ieac_t=schedule.ieac_t,
        forecast_finish=None if schedule.forecast_finish is None
        else schedule.forecast_finish.astimezone(UTC).replace(microsecond=0),
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
