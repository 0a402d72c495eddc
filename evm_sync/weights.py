"""Resolved-effort weighting: the standard effort ``w`` of each ticket, with its reason.

Rules are tried in the configured order and the first that yields a positive value
wins: ``estimate`` (the ticket's own), ``history`` (the median, mean or p75 of the
actual effort of tickets of its class resolved in the history window before the
window start, dropping the last class attribute while samples are too few, down to
the whole scope), ``table`` (configured hours per class) and ``default``, which
always closes the chain. Rules that depend on the class are decided once per class,
so the work per ticket is a handful of array operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evm_sync.config import WeightingConfig
from evm_sync.dataset import Dataset
from evm_sync.model import Weight

RULES = ("estimate", "history", "table", "default")
Klass = tuple[str | None, ...]


@dataclass(frozen=True)
class Weights:
    """Per ticket: ``hours`` and ``rule`` (an index into ``RULES``); reasons on demand."""

    hours: np.ndarray
    rule: np.ndarray
    klass: np.ndarray
    class_detail: dict[tuple[int, int], str]
    config: WeightingConfig

    def explain(self, data: Dataset, i: int, earned: float = 0.0) -> Weight:
        """The ``Weight`` of ticket ``i``, with the sentence that explains it and the
        hours of it ``earned``."""
        rule = RULES[self.rule[i]]
        hours = float(self.hours[i])
        if rule == "estimate":
            if data.estimate[i] > 0:
                detail = f"estimate {hours:g} h"
            else:
                detail = f"{data.points[i]:g} story points x {self.config.hours_per_point:g} h"
        elif rule == "default":
            detail = f"default {hours:g} h"
        else:
            detail = self.class_detail[self.rule[i], self.klass[i]]
        return Weight(data.source(i), data.ids[i], hours, rule, detail, earned)


def _classes(config: WeightingConfig, data: Dataset) -> tuple[np.ndarray, list[Klass]]:
    """Each ticket's class index and the classes (tuples of attribute values)."""
    n = len(data)
    if not config.class_by:
        return np.zeros(n, dtype=np.int64), [()]
    combined = np.zeros(n, dtype=np.int64)
    tables = []
    for attribute in config.class_by:
        codes, values = data.attribute(attribute)
        combined = combined * len(values) + codes if len(values) else combined
        tables.append(values)
    unique, inverse = np.unique(combined, return_inverse=True)
    classes: list[Klass] = []
    for code in unique.tolist():
        parts: list[str | None] = []
        for values in reversed(tables):
            code, part = divmod(code, len(values))
            parts.append(values[part])
        classes.append(tuple(reversed(parts)))
    return inverse.reshape(-1), classes


def _group_statistic(groups: np.ndarray, hours: np.ndarray, statistic: str, count: int):
    """Statistic and sample count of ``hours`` per group id (0..count-1)."""
    sizes = np.bincount(groups, minlength=count)
    if statistic == "mean":
        sums = np.bincount(groups, weights=hours, minlength=count)
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums / sizes, sizes
    order = np.lexsort((hours, groups))
    ordered = hours[order]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    result = np.full(count, np.nan)
    present = sizes > 0
    s, c = starts[present], sizes[present]
    if statistic == "median":
        result[present] = (ordered[s + (c - 1) // 2] + ordered[s + c // 2]) / 2
    else:  # p75, linear interpolation between order statistics (inclusive method)
        position = (c - 1) * 0.75
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, c - 1)
        fraction = position - low
        result[present] = ordered[s + low] + fraction * (ordered[s + high] - ordered[s + low])
    return result, sizes


def _history(
    config: WeightingConfig,
    data: Dataset,
    klass: np.ndarray,
    classes: list[Klass],
    effort_seconds: np.ndarray,
    window_start: float,
) -> tuple[np.ndarray, dict[int, str]]:
    """Hours per class from history (nan where too few samples), and the reasons."""
    since = window_start - config.history_days * 86400.0
    resolved = data.resolved
    sample = (
        (~data.deleted) & (resolved >= since) & (resolved < window_start) & (effort_seconds > 0)
    )
    sample_class = klass[sample]
    sample_hours = effort_seconds[sample] / 3600.0
    hours = np.full(len(classes), np.nan)
    reasons: dict[int, str] = {}
    for size in range(len(config.class_by), -1, -1):
        prefixes: dict[Klass, int] = {}
        group_of_class = np.array(
            [prefixes.setdefault(c[:size], len(prefixes)) for c in classes], dtype=np.int64
        )
        stats, counts = _group_statistic(
            group_of_class[sample_class], sample_hours, config.statistic, len(prefixes)
        )
        prefix_list = list(prefixes)
        for index, group in enumerate(group_of_class.tolist()):
            if index in reasons or counts[group] < config.min_samples or not stats[group] > 0:
                continue
            hours[index] = stats[group]
            shown = ", ".join(str(v) for v in prefix_list[group]) or "whole scope"
            reasons[index] = f"history {config.statistic} of {counts[group]} ({shown}) tickets"
    return hours, reasons


def _table(config: WeightingConfig, classes: list[Klass]) -> tuple[np.ndarray, dict[int, str]]:
    """Hours per class from the table: the full class ``a/b``, its prefixes, then any
    single attribute value; keys match without regard to case."""
    table = {key.lower(): value for key, value in config.table.items()}
    hours = np.full(len(classes), np.nan)
    reasons: dict[int, str] = {}
    for index, klass in enumerate(classes):
        values = [v.lower() if v is not None else "" for v in klass]
        candidates = ["/".join(values[:size]) for size in range(len(values), 0, -1)]
        candidates += [v for v in values[1:] if v]
        key = next((k for k in candidates if k in table), None)
        if key is not None:
            hours[index] = table[key]
            reasons[index] = f"table[{key}]"
    return hours, reasons


def weigh(
    config: WeightingConfig, data: Dataset, effort_seconds: np.ndarray, window_start: float
) -> Weights:
    """Weights of every ticket of ``data`` for a window starting at ``window_start``."""
    klass, classes = _classes(config, data)
    n = len(data)
    hours = np.full(n, np.nan)
    rule = np.full(n, RULES.index("default"), dtype=np.int8)
    details: dict[tuple[int, int], str] = {}
    for name in config.order:
        if name == "estimate":
            candidate = np.where(data.estimate > 0, data.estimate, np.nan)
            if config.hours_per_point:
                from_points = np.where(
                    data.points > 0, data.points * config.hours_per_point, np.nan
                )
                candidate = np.where(np.isnan(candidate), from_points, candidate)
        elif name == "default":
            candidate = np.full(n, config.default_hours)
        else:
            if name == "history":
                per_class, reasons = _history(
                    config, data, klass, classes, effort_seconds, window_start
                )
            else:
                per_class, reasons = _table(config, classes)
            candidate = per_class[klass]
            details.update(((RULES.index(name), c), text) for c, text in reasons.items())
        take = np.isnan(hours) & ~np.isnan(candidate)
        hours[take] = candidate[take]
        rule[take] = RULES.index(name)
    rest = np.isnan(hours)
    hours[rest] = config.default_hours
    return Weights(hours, rule, klass, details, config)
