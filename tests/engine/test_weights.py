"""The weight chain: estimate, history (with class fallback), table, default."""

from __future__ import annotations

import numpy as np
import pytest

from evm_sync.config import WeightingConfig
from evm_sync.dataset import Dataset
from evm_sync.weights import weigh
from tests.factories import at, ticket, worklog

START = at("2026-11-01 00:00")


class weigher:
    """Weighs one more ticket against a history of ``tickets`` with ``effort`` seconds."""

    def __init__(self, tickets=(), effort=None, **settings):
        self.history = list(tickets)
        self.logs = [worklog(f"w{i}", tid, "2026-09-01 00:00", s / 3600)
                     for i, ((_, tid), s) in enumerate((effort or {}).items()) if s]  # fmt: skip
        self.config = WeightingConfig.model_validate(settings)

    def weigh(self, subject):
        data = Dataset.from_records([*self.history, subject], self.logs)
        effort = np.bincount(data.log_ticket, weights=data.log_seconds, minlength=len(data))
        return weigh(self.config, data, effort, START.timestamp()).explain(data, len(data) - 1)


def history(kind, priority, hours_list, resolved="2026-10-15 00:00", prefix="h"):
    tickets, effort = [], {}
    for n, hours in enumerate(hours_list):
        t = ticket(
            f"{prefix}{kind}{priority}{n}", type=kind, priority=priority, resolved_at=resolved
        )
        tickets.append(t)
        effort[("s", t.id)] = round(hours * 3600)
    return tickets, effort


def test_estimate_wins_and_story_points_use_hours_per_point():
    w = weigher(hours_per_point=4.0)
    assert w.weigh(ticket(1, estimate_hours=2.5)).hours == 2.5
    points = w.weigh(ticket(2, story_points=3.0))
    assert (points.hours, points.rule, points.detail) == (12.0, "estimate", "3 story points x 4 h")


@pytest.mark.parametrize("estimate", [None, 0.0, -1.0])
def test_absent_zero_or_negative_estimate_does_not_count(estimate):
    w = weigher(default_hours=1.5)
    weight = w.weigh(ticket(1, estimate_hours=estimate, story_points=0.0))
    assert (weight.hours, weight.rule) == (1.5, "default")


def test_story_points_without_hours_per_point_do_not_count():
    assert weigher().weigh(ticket(1, story_points=5.0)).rule == "default"


def test_history_median_of_the_class():
    tickets, effort = history("incident", "high", [1, 2, 3, 4, 10])
    weight = weigher(tickets, effort).weigh(ticket(9, type="incident", priority="high"))
    assert weight.hours == 3.0
    assert weight.rule == "history"
    assert weight.detail == "history median of 5 (incident, high) tickets"


@pytest.mark.parametrize(("statistic", "expected"), [("mean", 4.0), ("p75", 4.0), ("median", 3.0)])
def test_history_statistics(statistic, expected):
    # values 1,2,3,4,10: mean 4; p75 inclusive = 4 (position 3 of 0..4)
    tickets, effort = history("q", "low", [1, 2, 3, 4, 10])
    w = weigher(tickets, effort, statistic=statistic)
    assert w.weigh(ticket(9, type="q", priority="low")).hours == pytest.approx(expected)


def test_history_drops_the_last_attribute_when_samples_are_few():
    high, e1 = history("incident", "high", [2, 2])
    low, e2 = history("incident", "low", [4, 4, 4])
    w = weigher(high + low, {**e1, **e2})
    weight = w.weigh(ticket(9, type="incident", priority="high"))
    assert weight.hours == 4.0  # median of 2,2,4,4,4 over (incident)
    assert weight.detail == "history median of 5 (incident) tickets"


def test_history_falls_back_to_whole_scope_then_to_table():
    a, e1 = history("a", "x", [1, 1, 1])
    b, e2 = history("b", "y", [5, 5])
    w = weigher(a + b, {**e1, **e2}, min_samples=5)
    assert (
        w.weigh(ticket(9, type="c", priority="z")).detail
        == "history median of 5 (whole scope) tickets"
    )
    w = weigher(a + b, {**e1, **e2}, min_samples=6, table={"urgent": 4.0})
    table = w.weigh(ticket(9, type="c", priority="urgent"))
    assert (table.hours, table.rule, table.detail) == (4.0, "table", "table[urgent]")


def test_history_uses_only_tickets_resolved_in_the_history_window_before_start():
    inside, e1 = history("t", "p", [2] * 5, resolved="2026-10-01 00:00")
    old, e2 = history("t", "p", [100] * 5, resolved="2026-07-01 00:00", prefix="old")
    during, e3 = history("t", "p", [50] * 5, resolved="2026-11-02 00:00", prefix="now")
    w = weigher(inside + old + during, {**e1, **e2, **e3}, history_days=90)
    assert w.weigh(ticket(9, type="t", priority="p")).hours == 2.0


def test_history_ignores_tickets_without_logged_effort():
    tickets, effort = history("t", "p", [3, 3, 3, 3, 3])
    silent, _ = history("t", "p", [0, 0, 0], prefix="zero")
    w = weigher(tickets + silent, effort)
    assert w.weigh(ticket(9, type="t", priority="p")).detail == "history median of 5 (t, p) tickets"


def test_table_keys_full_class_then_prefix_then_single_values():
    w = weigher(
        order=["table", "default"], table={"incident/urgent": 6.0, "Incident": 3.0, "low": 0.5}
    )
    assert w.weigh(ticket(1, type="incident", priority="urgent")).hours == 6.0
    assert w.weigh(ticket(2, type="incident", priority="high")).hours == 3.0
    assert w.weigh(ticket(3, type="task", priority="low")).hours == 0.5
    assert w.weigh(ticket(4, type="task", priority=None)).rule == "default"


def test_configured_order_is_followed():
    tickets, effort = history("t", "p", [3] * 5)
    w = weigher(tickets, effort, order=["history", "estimate", "default"])
    assert w.weigh(ticket(9, type="t", priority="p", estimate_hours=8.0)).rule == "history"
    w = weigher(tickets, effort, order=["default"], default_hours=2.0)
    assert w.weigh(ticket(9, type="t", priority="p", estimate_hours=8.0)).hours == 2.0
