"""Window resolution in the job's zone, working time, and the support KPIs."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from evm_sync.config import WindowConfig
from evm_sync.evm import compute
from evm_sync.model import Window
from evm_sync.windows import period_boundaries, resolve_window, working_seconds
from tests.factories import at, fixed_job, ticket

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("window", "as_of", "start", "end"),
    [
        ({"kind": "month"}, "2026-12-31 23:30", "2026-12-31 23:00", "2027-01-31 23:00"),
        ({"kind": "week"}, "2026-11-04 12:00", "2026-11-01 23:00", "2026-11-08 23:00"),
        (
            {"kind": "rolling", "days": 7},
            "2026-11-04 12:00",
            "2026-10-28 23:00",
            "2026-11-04 23:00",
        ),
    ],
)
def test_windows_in_the_job_zone(window, as_of, start, end):
    resolved = resolve_window(WindowConfig.model_validate(window), at(as_of), BERLIN)
    assert (resolved.start, resolved.end) == (at(start), at(end))


def test_fixed_window_dates_are_local_midnights():
    config = WindowConfig(kind="fixed", start="2026-11-01", end="2026-12-01")
    window = resolve_window(config, at("2026-11-15 00:00"), BERLIN)
    assert window.start == at("2026-10-31 23:00")


def test_weekday_working_seconds():
    # Fri 12:00 to Tue 12:00 UTC: Fri 12h, Mon 24h, Tue 12h.
    assert working_seconds(at("2026-11-06 12:00"), at("2026-11-10 12:00"), "weekdays",
                           ZoneInfo("UTC")) == 48 * 3600  # fmt: skip


def test_period_boundaries_with_a_partial_last_period():
    boundaries, planned = period_boundaries(
        Window(at("2026-11-01 00:00"), at("2026-11-11 00:00")), "week"
    )
    assert boundaries == [at("2026-11-01 00:00"), at("2026-11-08 00:00"), at("2026-11-11 00:00")]
    assert planned == pytest.approx(10 / 7)


JOB = fixed_job("2026-11-01 00:00", "2026-11-11 00:00")


def test_support_kpis_by_hand():
    tickets = [
        ticket(
            1,
            "2026-11-01 00:00",
            resolved_at="2026-11-01 10:00",
            first_reply_minutes=30,
            satisfaction="good",
            due_at="2026-11-02 00:00",
        ),
        ticket(
            2,
            "2026-11-02 00:00",
            resolved_at="2026-11-03 06:00",
            first_reply_minutes=90,
            satisfaction="bad",
            due_at="2026-11-03 00:00",
        ),
        ticket(3, "2026-10-20 00:00", resolved_at="2026-11-04 00:00", satisfaction="good"),
        ticket(4, "2026-11-03 00:00"),  # open
        ticket(
            5, "2026-11-03 00:00", resolved_at="2026-11-09 00:00"
        ),  # resolved after t: open at t
        ticket(6, "2026-10-01 00:00", resolved_at="2026-10-05 00:00"),  # before the window
        ticket(7, "2026-11-06 00:00"),  # created after t
    ]
    k = compute(JOB, tickets, [], at("2026-11-05 00:00")).kpis
    assert (k.created, k.resolved, k.open_backlog) == (4, 3, 2)
    assert k.resolution_rate == pytest.approx(3 / 4)
    assert k.median_resolution_hours == pytest.approx(30)  # 10 h, 30 h, 360 h
    assert k.median_first_reply_hours == pytest.approx(1.0)  # 0.5 h and 1.5 h
    assert k.sla_attainment == pytest.approx(1 / 2)
    assert k.csat == pytest.approx(2 / 3)


def test_support_kpis_with_nothing():
    k = compute(JOB, [], [], at("2026-11-05 00:00")).kpis
    assert k.resolution_rate is None and k.csat is None and k.sla_attainment is None
