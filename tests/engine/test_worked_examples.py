"""Published worked examples, computed by hand here, reproduced through the engine.

1. The standard EVM example of the PMI Practice Standard for EVM (and the PMBOK):
   BAC 100, at the status date PV 50, EV 40, AC 45.
2. Lipke's earned-schedule example ("Schedule is Different", The Measurable News,
   2003): all of the plan through period 5 earned and part of period 6, at AT = 7:
   ES = 5 + (EV - PV_5) / (PV_6 - PV_5).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from evm_sync.evm import compute
from tests.factories import at, fixed_job, ticket, worklog


def _pmi_case(eac: str):
    # A 10-day capacity window, 100 h budget: at day 5, PV = 50 h.
    # EV = 40 h: two tickets of 20 h estimate resolved; AC = 45 h of worklogs.
    job = fixed_job(
        "2026-11-01 00:00", "2026-11-11 00:00",
        baseline={"kind": "capacity", "budget_hours": 100.0}, eac=eac,
    )  # fmt: skip
    tickets = [
        ticket(1, "2026-10-30", estimate_hours=20.0, resolved_at="2026-11-02 12:00"),
        ticket(2, "2026-10-30", estimate_hours=20.0, resolved_at="2026-11-04 12:00"),
        ticket(3, "2026-10-30", estimate_hours=30.0),
    ]
    logs = [worklog(1, 1, "2026-11-01 09:00", 25), worklog(2, 2, "2026-11-03 09:00", 15),
            worklog(3, 3, "2026-11-05 09:00", 5)]  # fmt: skip
    return compute(job, tickets, logs, at("2026-11-06 00:00")).figures


def test_pmi_standard_example_indices_and_variances():
    f = _pmi_case("cpi")
    assert (f.bac, f.pv, f.ev, f.ac) == pytest.approx((100, 50, 40, 45))
    assert f.cv == pytest.approx(-5) and f.sv == pytest.approx(-10)
    assert f.cpi == pytest.approx(40 / 45)  # 0.889
    assert f.spi == pytest.approx(0.8)
    assert f.eac == pytest.approx(112.5)  # BAC / CPI = 100 / 0.889
    assert f.etc == pytest.approx(67.5) and f.vac == pytest.approx(-12.5)
    assert f.tcpi == pytest.approx(60 / 55)  # (BAC-EV)/(BAC-AC) = 1.091
    assert f.tcpi_eac == pytest.approx(60 / 67.5)
    assert f.pct_complete == pytest.approx(0.40) and f.pct_spent == pytest.approx(0.45)
    assert f.status == "off track"  # SPI 0.80 < 0.85


@pytest.mark.parametrize(
    ("eac", "expected"),
    [("remaining", 45 + 60), ("cpi_spi", 45 + 60 / ((40 / 45) * 0.8))],  # 105, 129.375
)
def test_pmi_standard_example_other_eac_methods(eac, expected):
    f = _pmi_case(eac)
    assert f.eac == pytest.approx(expected)
    assert f.etc == pytest.approx(expected - 45)
    assert f.vac == pytest.approx(100 - expected)


def test_lipke_earned_schedule_example():
    # 12 weekly periods; plan tickets finishing at the end of weeks 1..12 with weights
    # 10, 10, 20, 20, 20, 40, 40, 20, 20, 10, 10, 10  -> PV_5 = 80, PV_6 = 120.
    weights = [10, 10, 20, 20, 20, 40, 40, 20, 20, 10, 10, 10]
    job = fixed_job(
        "2026-01-05 00:00", "2026-03-30 00:00", period="week",
        baseline={"kind": "due", "planned_finish": ["due_date"]},
    )  # fmt: skip
    start, week = at("2026-01-05 00:00"), timedelta(days=7)
    # EV = 100: all of weeks 1..5 (80 h) and week 8's ticket (20 h), done early.
    done = {1, 2, 3, 4, 5, 8}
    tickets = [
        ticket(n, "2026-01-01", estimate_hours=float(hours), due_at=start + n * week - timedelta(hours=1),
               resolved_at="2026-02-10 12:00" if n in done else None)
        for n, hours in enumerate(weights, start=1)
    ]  # fmt: skip
    # AT = 7 weeks exactly.
    f = compute(job, tickets, [], at("2026-02-23 00:00")).figures
    pv5, pv6, ev = 80.0, 120.0, 100.0
    es = 5 + (ev - pv5) / (pv6 - pv5)  # 5.5 periods
    assert f.ev == pytest.approx(ev)
    assert f.bac == pytest.approx(sum(weights))
    assert f.pv == pytest.approx(sum(weights[:7]))  # 150: weeks 1..7 due by AT
    assert f.es == pytest.approx(es)
    assert f.at == pytest.approx(7.0)
    assert f.sv_t == pytest.approx(es - 7)  # -1.5 weeks
    assert f.spi_t == pytest.approx(es / 7)
    assert f.ieac_t == pytest.approx(12 / (es / 7))  # PD / SPI(t) = 15.27 weeks
    assert f.forecast_finish == (start + (12 / (es / 7)) * week).replace(microsecond=0)
