"""Baselines, earning rules and the actual cost, each computed by hand."""

from __future__ import annotations

from datetime import date

import pytest

from evm_sync.evm import compute
from tests.factories import at, fixed_job, job, ticket, worklog


def test_capacity_budget_per_period_and_weekday_calendar():
    # Mon 2026-11-02 .. Mon 2026-11-16: 10 weekdays; budget 8 h per day-period x 14 periods.
    settings = {"baseline": {"kind": "capacity", "budget_hours_per_period": 8.0,
                             "calendar": "weekdays"}}  # fmt: skip
    j = fixed_job("2026-11-02 00:00", "2026-11-16 00:00", **settings)
    # As of Sunday 8th midnight: 5 of 10 working days done, Saturday and Sunday add nothing.
    f = compute(j, [], [], at("2026-11-08 00:00")).figures
    assert f.bac == pytest.approx(8.0 * 14)
    assert f.pv == pytest.approx(8.0 * 14 * 5 / 10)
    assert compute(j, [], [], at("2026-11-07 00:00")).figures.pv == pytest.approx(f.pv)


def test_due_baseline_plan_pv_ev_ac_and_unplanned():
    j = fixed_job("2026-11-01 00:00", "2026-11-11 00:00",
                  baseline={"kind": "due", "planned_finish": ["due_date", "sla"]})  # fmt: skip
    tickets = [
        ticket(1, estimate_hours=4.0, due_at="2026-11-03 00:00", resolved_at="2026-11-02 00:00"),
        ticket(2, estimate_hours=6.0, sla_due_at="2026-11-05 00:00"),  # planned by SLA
        ticket(3, estimate_hours=8.0, due_date=date(2026, 11, 9)),  # ends 11-10 00:00
        ticket(4, estimate_hours=3.0, due_at="2026-11-20 00:00", resolved_at="2026-11-04 00:00"),
        ticket(5, estimate_hours=2.0, resolved_at="2026-11-04 00:00"),  # no planned finish
    ]
    logs = [worklog(1, 1, "2026-11-01 10:00", 5), worklog(2, 4, "2026-11-02 10:00", 7),
            worklog(3, 2, "2026-11-04 10:00", 1)]  # fmt: skip
    result = compute(j, tickets, logs, at("2026-11-06 00:00"))
    f = result.figures
    assert f.bac == pytest.approx(4 + 6 + 8)
    assert f.pv == pytest.approx(4 + 6)
    assert f.ev == pytest.approx(4)  # ticket 4 is outside the plan
    assert f.ac == pytest.approx(5 + 1)
    assert result.unplanned == {"tickets": 2, "value": 5.0}
    # Ticket 3's date ends at the next midnight, so at 11-09 23:59 it is not yet due.
    assert compute(j, tickets, logs, at("2026-11-09 23:59")).figures.pv == pytest.approx(10)
    assert compute(j, tickets, logs, at("2026-11-10 00:00")).figures.pv == pytest.approx(18)


def test_due_date_ends_at_midnight_of_the_job_zone():
    settings = {"baseline": {"kind": "due"}, "timezone": "Europe/Berlin"}
    j = fixed_job("2026-11-01 00:00", "2026-11-11 00:00", **settings)
    tickets = [ticket(1, estimate_hours=2.0, due_date=date(2026, 11, 5))]
    # Berlin midnight after 11-05 is 11-05 23:00 UTC.
    assert compute(j, tickets, [], at("2026-11-05 22:59")).figures.pv == 0
    assert compute(j, tickets, [], at("2026-11-05 23:00")).figures.pv == pytest.approx(2)


def _earning(rule, **extra):
    j = fixed_job("2026-11-01 00:00", "2026-11-11 00:00",
                  baseline={"kind": "capacity", "budget_hours": 100.0},
                  earning={"rule": rule, **extra})  # fmt: skip
    tickets = [
        ticket(1, estimate_hours=10.0, status="solved", resolved_at="2026-11-02 00:00"),
        ticket(2, estimate_hours=6.0, status="open"),  # worklog started: in progress
        ticket(3, estimate_hours=4.0, status="pending", status_category="in_progress"),
        ticket(4, estimate_hours=8.0, status="new", status_category="new"),
        ticket(5, estimate_hours=2.0, status="solved", resolved_at="2026-10-20 00:00"),
    ]
    logs = [worklog(1, 2, "2026-11-03 00:00", 1)]
    return compute(j, tickets, logs, at("2026-11-05 00:00")).figures.ev


def test_earning_zero_hundred():
    assert _earning("0/100") == pytest.approx(10)


def test_earning_fifty_fifty_half_when_work_started():
    assert _earning("50/50") == pytest.approx(10 + 3 + 2)


def test_earning_status_table():
    fractions = {"open": 0.25, "Pending": 0.5}
    assert _earning("status", status_fractions=fractions) == pytest.approx(10 + 1.5 + 2)


def test_reopened_ticket_earns_nothing_until_resolved_again():
    j = fixed_job("2026-11-01 00:00", "2026-11-11 00:00",
                  baseline={"kind": "capacity", "budget_hours": 10.0})  # fmt: skip
    reopened = ticket(1, estimate_hours=3.0, status="open", reopens=1)  # resolved_at cleared
    again = ticket(2, estimate_hours=5.0, reopens=1, resolved_at="2026-11-04 00:00")
    assert compute(j, [reopened, again], [], at("2026-11-05 00:00")).figures.ev == pytest.approx(5)
    # Resolved after as_of: not yet earned at as_of.
    assert compute(j, [again], [], at("2026-11-03 00:00")).figures.ev == 0


def test_actual_cost_counts_worklogs_started_in_window_up_to_as_of():
    j = fixed_job("2026-11-01 00:00", "2026-11-11 00:00",
                  baseline={"kind": "capacity", "budget_hours": 10.0})  # fmt: skip
    tickets = [ticket(1), ticket(2, deleted=True)]
    logs = [
        worklog(1, 1, "2026-10-31 23:59", 1),  # before the window
        worklog(2, 1, "2026-11-01 00:00", 2),  # at its start
        worklog(3, 1, "2026-11-05 00:00", 4),  # at as_of
        worklog(4, 1, "2026-11-05 00:01", 8),  # after as_of
        worklog(5, 2, "2026-11-02 00:00", 16),  # a deleted ticket's
        worklog(6, 99, "2026-11-02 00:00", 32),  # an unknown ticket's
    ]
    result = compute(j, tickets, logs, at("2026-11-05 00:00"))
    assert result.figures.ac == pytest.approx(6)
    assert result.warnings == ("1 worklogs belong to tickets not in scope (ignored)",)


def test_month_window_follows_as_of():
    j = job(baseline={"kind": "capacity", "budget_hours": 300.0})
    result = compute(j, [], [], at("2026-02-14 12:00"))
    assert result.window.start == at("2026-02-01 00:00")
    assert result.window.end == at("2026-03-01 00:00")
    assert result.figures.pv == pytest.approx(300 * 13.5 / 28)


def test_naive_as_of_is_refused():
    from datetime import datetime

    with pytest.raises(ValueError, match="no time zone"):
        compute(job(), [], [], datetime(2026, 11, 1))


def test_money_mode_prices_plan_and_earned_at_group_rates_and_actuals_at_agent_rates():
    j = fixed_job("2026-11-01 00:00", "2026-11-11 00:00",
                  baseline={"kind": "capacity", "budget_hours": 100.0},
                  cost={"currency": "EUR", "rate": 50.0, "by_agent": {"ann": 90.0},
                        "by_group": {"l2": 70.0}})  # fmt: skip
    tickets = [
        ticket(1, estimate_hours=4.0, group="l2", resolved_at="2026-11-02 00:00"),
        ticket(2, estimate_hours=2.0, group="l1", resolved_at="2026-11-03 00:00"),
    ]
    logs = [
        worklog(1, 1, "2026-11-02 00:00", 3, author="ann"),  # ann's own rate: 3 x 90
        worklog(2, 1, "2026-11-02 00:00", 1, author="bob"),  # the ticket's group: 1 x 70
        worklog(3, 2, "2026-11-02 00:00", 2, author="bob"),  # the default: 2 x 50
    ]
    result = compute(j, tickets, logs, at("2026-11-06 00:00"))
    f = result.figures
    assert result.unit == "EUR"
    assert f.bac == pytest.approx(100 * 50)
    assert f.pv == pytest.approx(100 * 50 / 2)
    assert f.ev == pytest.approx(4 * 70 + 2 * 50)  # 380
    assert f.ac == pytest.approx(3 * 90 + 1 * 70 + 2 * 50)  # 440
    assert f.cpi == pytest.approx(380 / 440)
    assert [w.hours for w in result.weights] == [4.0, 2.0]  # weights stay in hours


def test_each_epic_gets_the_figures_of_its_children_with_scope_wide_weights():
    from evm_sync.evm import compute_epics

    j = fixed_job("2026-11-01 00:00", "2026-11-11 00:00", baseline={"kind": "due"},
                  weighting={"order": ["history", "default"], "class_by": ["type"],
                             "min_samples": 2})  # fmt: skip
    history = [ticket(f"h{n}", type="Story", resolved_at="2026-10-20 00:00") for n in range(2)]
    logs = [worklog("w1", "h0", "2026-10-19 00:00", 2), worklog("w2", "h1", "2026-10-19 00:00", 4)]
    tickets = [
        *history,
        ticket("e1", type="Epic", key="P-1"),
        ticket("e2", type="Epic", key="P-2"),
        ticket("a", type="Story", key="P-3", parent="P-1", due_at="2026-11-03 00:00",
               resolved_at="2026-11-02 00:00"),
        ticket("b", type="Story", key="P-4", parent="P-1", due_at="2026-11-08 00:00"),
        ticket("c", type="Story", key="P-5", parent="P-2", due_at="2026-11-04 00:00"),
    ]  # fmt: skip
    logs.append(worklog("w3", "a", "2026-11-02 00:00", 5))
    from evm_sync.dataset import Dataset

    epics = compute_epics(j, Dataset.from_records(tickets, logs), at("2026-11-05 00:00"))
    assert set(epics) == {("s", "P-1"), ("s", "P-2")}
    one, two = epics["s", "P-1"].figures, epics["s", "P-2"].figures
    # Story weight: the median of the stories resolved before the window, (2 + 4) / 2 = 3 h.
    assert (one.bac, one.pv, one.ev, one.ac) == pytest.approx((6, 3, 3, 5))
    assert (two.bac, two.pv, two.ev, two.ac) == pytest.approx((3, 3, 0, 0))
