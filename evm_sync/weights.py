"""Resolved-effort weighting: the standard effort ``w`` of each ticket, with its reason.

Rules are tried in the configured order and the first that yields a positive value
wins: ``estimate`` (the ticket's own), ``history`` (the median, mean or p75 of the
actual effort of tickets of its class resolved in the history window before the
window start, dropping the last class attribute while samples are too few),
``table`` (configured hours per class) and ``default``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from evm_sync.config import WeightingConfig
from evm_sync.model import Ticket, Weight

TicketKey = tuple[str, str]


def _statistic(name: str, values: list[float]) -> float:
    if name == "mean":
        return statistics.fmean(values)
    if name == "p75":
        return (
            statistics.quantiles(values, n=4, method="inclusive")[2]
            if len(values) > 1
            else values[0]
        )
    return statistics.median(values)


class Weigher:
    """Weights tickets for one window; history is gathered once, statistics cached."""

    def __init__(
        self,
        config: WeightingConfig,
        tickets: Iterable[Ticket],
        effort_seconds: Mapping[TicketKey, int],
        window_start: datetime,
    ) -> None:
        self.config = config
        self._cache: dict[tuple[str | None, ...], tuple[float, int] | None] = {}
        self._samples: dict[tuple[str | None, ...], list[float]] = defaultdict(list)
        if "history" in config.order:
            self._gather(tickets, effort_seconds, window_start)
        self._table = {key.lower(): hours for key, hours in config.table.items()}

    def _gather(
        self, tickets: Iterable[Ticket], effort: Mapping[TicketKey, int], start: datetime
    ) -> None:
        since = start - timedelta(days=self.config.history_days)
        depth = len(self.config.class_by)
        for ticket in tickets:
            resolved = ticket.resolved_at
            if resolved is None or not since <= resolved < start:
                continue
            seconds = effort.get((ticket.source, ticket.id), 0)
            if seconds <= 0:
                continue  # no logged effort is no evidence of the standard
            klass = self.class_of(ticket)
            for size in range(depth, -1, -1):
                self._samples[klass[:size]].append(seconds / 3600.0)

    def class_of(self, ticket: Ticket) -> tuple[str | None, ...]:
        return tuple(ticket.attribute(name) for name in self.config.class_by)

    def _history(self, klass: tuple[str | None, ...]) -> tuple[float, int, int] | None:
        """(hours, samples, attributes kept) for the most specific class with enough samples."""
        for size in range(len(klass), -1, -1):
            prefix = klass[:size]
            if prefix not in self._cache:
                samples = self._samples.get(prefix, [])
                self._cache[prefix] = (
                    (_statistic(self.config.statistic, samples), len(samples))
                    if len(samples) >= self.config.min_samples
                    else None
                )
            found = self._cache[prefix]
            if found is not None and found[0] > 0:
                return found[0], found[1], size
        return None

    def _from_table(self, klass: tuple[str | None, ...]) -> tuple[float, str] | None:
        if not self._table:
            return None
        values = [v.lower() if v is not None else "" for v in klass]
        candidates = ["/".join(values[:size]) for size in range(len(values), 0, -1)]
        candidates += [v for v in values[1:] if v]
        for key in candidates:
            if key in self._table:
                return self._table[key], key
        return None

    def weigh(self, ticket: Ticket) -> Weight:
        """The weight of ``ticket`` and the rule that produced it."""
        klass = None
        for rule in self.config.order:
            if rule == "estimate":
                found = self._estimate(ticket)
                if found:
                    return Weight(ticket.source, ticket.id, found[0], "estimate", found[1])
                continue
            if rule == "default":
                hours = self.config.default_hours
                return Weight(ticket.source, ticket.id, hours, "default", f"default {hours:g} h")
            klass = klass or self.class_of(ticket)
            if rule == "history":
                history = self._history(klass)
                if history:
                    hours, count, size = history
                    shown = ", ".join(str(v) for v in klass[:size]) or "whole scope"
                    detail = f"history {self.config.statistic} of {count} ({shown}) tickets"
                    return Weight(ticket.source, ticket.id, hours, "history", detail)
            elif rule == "table":
                entry = self._from_table(klass)
                if entry:
                    return Weight(ticket.source, ticket.id, entry[0], "table", f"table[{entry[1]}]")
        hours = self.config.default_hours
        return Weight(ticket.source, ticket.id, hours, "default", f"default {hours:g} h")

    def _estimate(self, ticket: Ticket) -> tuple[float, str] | None:
        if ticket.estimate_hours is not None and ticket.estimate_hours > 0:
            return ticket.estimate_hours, f"estimate {ticket.estimate_hours:g} h"
        points, per_point = ticket.story_points, self.config.hours_per_point
        if points is not None and points > 0 and per_point:
            return points * per_point, f"{points:g} story points x {per_point:g} h"
        return None
