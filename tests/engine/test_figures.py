"""Each derived figure and each case where EVM_MODEL.md says it has no value."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evm_sync.evm import compute, status_word
from evm_sync.schedule import earned_time
from tests.factories import at, fixed_job, ticket, worklog

WINDOW = ("2026-11-01 00:00", "2026-11-11 00:00")


def figures(tickets, logs, as_of="2026-11-06 00:00", **settings):
    settings.setdefault("baseline", {"kind": "capacity", "budget_hours": 100.0})
    return compute(fixed_job(*WINDOW, **settings), tickets, logs, at(as_of)).figures


def test_no_actual_cost_means_no_cpi_eac_etc_vac():
    f = figures([ticket(1, estimate_hours=5.0, resolved_at="2026-11-02 00:00")], [])
    assert f.ac == 0 and f.cpi is None
    assert f.eac is None and f.etc is None and f.vac is None and f.tcpi_eac is None
    assert f.tcpi == pytest.approx((100 - 5) / 100)
    assert f.status == "off track"  # SPI 5/50 alone decides


def test_at_window_start_pv_and_at_are_zero():
    f = figures([ticket(1)], [], as_of="2026-11-01 00:00")
    assert f.pv == 0 and f.spi is None and f.at == 0 and f.spi_t is None
    assert f.ieac_t is None and f.forecast_finish is None
    assert f.status == "no data"


def test_no_earned_value_gives_zero_spi_t_and_no_forecast():
    f = figures([ticket(1)], [worklog(1, 1, "2026-11-02 00:00", 3)])
    assert f.ev == 0 and f.cpi == 0 and f.eac is None  # BAC / 0 has no value
    assert f.spi_t == 0 and f.ieac_t is None and f.forecast_finish is None
    assert f.es == 0 and f.sv_t == pytest.approx(-5)


def test_tcpi_none_when_budget_spent_exactly():
    logs = [worklog(1, 1, "2026-11-02 00:00", 100)]
    f = figures([ticket(1, estimate_hours=10.0, resolved_at="2026-11-03 00:00")], logs)
    assert f.ac == pytest.approx(100) and f.tcpi is None


def test_tcpi_eac_none_when_eac_equals_ac():
    # remaining EAC = AC + (BAC - EV); with EV = BAC, EAC = AC.
    tickets = [ticket(1, estimate_hours=100.0, resolved_at="2026-11-02 00:00")]
    f = figures(tickets, [worklog(1, 1, "2026-11-02 00:00", 30)], eac="remaining")
    assert f.eac == pytest.approx(30) and f.tcpi_eac is None


def test_cpi_spi_eac_needs_spi():
    f = figures([ticket(1, estimate_hours=1.0, resolved_at="2026-11-01 00:00")],
                [worklog(1, 1, "2026-11-01 00:00", 1)], as_of="2026-11-01 00:00", eac="cpi_spi")  # fmt: skip
    assert f.cpi == 1 and f.spi is None and f.eac is None


def test_pct_none_when_bac_zero():
    job = fixed_job(*WINDOW, baseline={"kind": "due"})
    f = compute(job, [ticket(1)], [], at("2026-11-05 00:00")).figures
    assert f.bac == 0 and f.pct_complete is None and f.pct_spent is None


def test_earned_beyond_budget_caps_es_at_planned_duration():
    f = figures([ticket(1, estimate_hours=150.0, resolved_at="2026-11-02 00:00")], [])
    assert f.es == pytest.approx(10.0) and f.spi_t == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("cpi", "spi", "word"),
    [(1.0, 0.95, "on track"), (0.95, 1.2, "on track"), (0.94, 1.0, "at risk"),
     (1.0, 0.85, "at risk"), (0.849, 1.0, "off track"), (0.9, 0.5, "off track"),
     (None, 0.9, "at risk"), (1.0, None, "on track"), (None, None, "no data")],
)  # fmt: skip
def test_status_word_thresholds(cpi, spi, word):
    assert status_word(cpi, spi, 0.95, 0.85) == word


def test_status_thresholds_from_config():
    tickets = [ticket(1, estimate_hours=45.0, resolved_at="2026-11-02 00:00")]
    logs = [worklog(1, 1, "2026-11-02 00:00", 50)]  # CPI 0.9, SPI 0.9
    assert figures(tickets, logs).status == "at risk"
    assert figures(tickets, logs, thresholds={"on_track": 0.9, "at_risk": 0.8}).status == "on track"


def test_earned_time_interpolates_and_flat_plan():
    assert earned_time([0, 10, 20, 30], 3.0, 15) == pytest.approx(1.5)
    assert earned_time([0, 0, 0, 10], 3.0, 0) == pytest.approx(2.0)  # latest k with PV_k <= EV
    assert earned_time([0, 10, 20], 1.5, 20) == pytest.approx(1.5)  # last period is a half
    assert earned_time([0, 10, 20], 1.5, 15) == pytest.approx(1.0 + 0.5 * 0.5)


def test_week_periods_on_a_month_window():
    job = fixed_job("2026-11-01 00:00", "2026-12-01 00:00", period="week",
                    baseline={"kind": "capacity", "budget_hours": 300.0})  # fmt: skip
    f = compute(job, [], [], at("2026-11-15 00:00")).figures
    assert f.at == pytest.approx(2.0)
    assert f.pv == pytest.approx(140.0)


def test_capacity_window_excludes_its_end_instant():
    tickets = [ticket(1, estimate_hours=5.0, resolved_at="2026-11-11 00:00")]
    logs = [worklog(1, 1, "2026-11-11 00:00", 2)]
    f = figures(tickets, logs, as_of="2026-11-20 00:00")
    assert f.ev == 0 and f.ac == 0
    assert f.pv == pytest.approx(100.0)
    assert f.at == pytest.approx(10.0, abs=timedelta(microseconds=1) / timedelta(days=1) * 2)
